//! Prints the tree-sitter CUDA parse tree of a file: `cargo run --example dump_tree FILE`.
//! A debugging aid for writing front-end code; not part of the tool.
fn main() {
    let path = std::env::args().nth(1).expect("usage: dump_tree FILE");
    let src = std::fs::read_to_string(&path).expect("read");
    let mut parser = tree_sitter::Parser::new();
    let lang = if path.ends_with(".py") {
        tree_sitter_python::LANGUAGE.into()
    } else {
        tree_sitter_cuda::LANGUAGE.into()
    };
    parser.set_language(&lang).expect("language");
    let tree = parser.parse(&src, None).expect("parse");
    let mut cursor = tree.walk();
    let mut depth = 0usize;
    loop {
        let node = cursor.node();
        let field = cursor
            .field_name()
            .map(|f| format!("{f}: "))
            .unwrap_or_default();
        let text = if node.child_count() == 0 {
            format!(" {:?}", &src[node.byte_range()])
        } else {
            String::new()
        };
        println!(
            "{}{}{}{} [{}]{}",
            "  ".repeat(depth),
            field,
            node.kind(),
            if node.is_named() { "" } else { "(anon)" },
            node.start_position().row + 1,
            text
        );
        if cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
            depth -= 1;
        }
    }
}
