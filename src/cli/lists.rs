//! `cuda-audit rules` and `cuda-audit explain`.

use super::*;

pub(super) fn run_rules(args: RulesArgs) -> Result<ExitStatus> {
    let rules = RuleSet::load(&args.rules)?;
    let mut out = Vec::new();
    match args.format {
        ListFormat::Json => {
            let list: Vec<serde_json::Value> = rules
                .rules()
                .iter()
                .map(crate::report::json::rule_value)
                .collect();
            serde_json::to_writer_pretty(&mut out, &list).expect("in-memory write");
            out.push(b'\n');
        }
        ListFormat::Text => {
            let width = rules.rules().iter().map(|r| r.id.len()).max().unwrap_or(0);
            for r in rules.rules() {
                let efforts: Vec<String> = Target::ALL
                    .iter()
                    .map(|&t| format!("{t}:{}", r.portability.get(t).effort))
                    .collect();
                writeln!(
                    out,
                    "{:<width$}  {:<16} {:<12} {}  [{}]",
                    r.id,
                    r.category.as_str(),
                    r.library,
                    r.title,
                    efforts.join(" ")
                )
                .expect("in-memory write");
            }
            writeln!(
                out,
                "{} rules, {} symbols",
                rules.rules().len(),
                rules.symbols().len()
            )
            .expect("in-memory write");
        }
    }
    std::io::stdout()
        .write_all(&out)
        .map_err(|e| Error::io("cannot write to standard output", e))?;
    Ok(ExitStatus::Clean)
}

pub(super) fn run_explain(args: ExplainArgs) -> Result<ExitStatus> {
    let rules = RuleSet::load(&args.rules)?;
    let name = args.name.as_deref().unwrap_or_default();
    let text = if args.scoring {
        Some(crate::report::explain::scoring(&Default::default()))
    } else {
        crate::report::explain::explain(&rules, name)
    };
    let Some(text) = text else {
        let near = crate::report::explain::suggestions(&rules, name);
        let help = match near.as_slice() {
            [] => "`cuda-audit rules` lists the rules and their libraries".to_string(),
            [one] => format!("did you mean `{one}`?"),
            many => format!(
                "did you mean one of {}?",
                many.iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        return Err(Error::hint(
            format!("`{name}` is not a rule id, a CUDA name or a library cuda-audit knows"),
            help,
        ));
    };
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(|e| Error::io("cannot write to standard output", e))?;
    Ok(ExitStatus::Clean)
}
