//! What a C-family file defines: declarators' names (kept from becoming facts and listed as
//! the file's own), prototypes (declarations, not uses), and shim candidates (`typedef`,
//! `using` and wrapper functions).

use super::{Walker, children_by_field};
use crate::lang::node_names::NodeNames;
use crate::lang::{FactKind, ShimCandidate, ShimForm};
use tree_sitter::Node;

impl Walker<'_> {
    /// Records the names a declaration or definition defines (see [`Walker::define`]), a
    /// function body for the wrapper-shim pass, prototypes as declarations and type shims.
    pub(super) fn definition(&mut self, node: Node) {
        match node.kind_name() {
            "alias_declaration" | "type_definition" => {
                self.type_shim(node);
                if node.kind_name() == "alias_declaration" {
                    if let Some(name) = node.field("name") {
                        self.define(name);
                    }
                } else {
                    for declarator in children_by_field(node, "declarator") {
                        self.define(declarator);
                    }
                }
            }
            "function_definition" => {
                if let (Some(name), Some(body)) = (self.declared_function(node), node.field("body"))
                {
                    self.functions
                        .push((name, body.byte_range(), node.start_byte()));
                }
                for declarator in children_by_field(node, "declarator") {
                    self.define(declarator);
                }
            }
            "declaration" | "field_declaration" if self.is_prototype(node) => {
                // A prototype declares an API; it does not use it. Its types still become
                // facts (a vendored header's prototypes are what it exposes), marked as
                // declarations.
                self.out.declarations.push(node.byte_range());
                for declarator in children_by_field(node, "declarator") {
                    self.define(declarator);
                }
            }
            "declaration"
            | "parameter_declaration"
            | "field_declaration"
            | "optional_parameter_declaration" => {
                for declarator in children_by_field(node, "declarator") {
                    self.define(declarator);
                }
            }
            "enumerator" | "namespace_definition" | "concept_definition" => {
                if let Some(name) = node.field("name") {
                    self.define(name);
                }
            }
            // A definition (with a body), not a use such as `struct S s;`.
            "struct_specifier" | "class_specifier" | "union_specifier" | "enum_specifier"
                if node.field("body").is_some() =>
            {
                if let Some(name) = node.field("name") {
                    self.define(name);
                }
            }
            "type_parameter_declaration"
            | "variadic_type_parameter_declaration"
            | "optional_type_parameter_declaration" => {
                let mut cursor = node.walk();
                let names: Vec<Node> = node
                    .named_children(&mut cursor)
                    .filter(|c| c.kind_name() == "type_identifier")
                    .collect();
                for name in names {
                    self.define(name);
                }
            }
            _ => {}
        }
    }

    /// `using cudaStream_t = hipStream_t;` and `typedef hipStream_t cudaStream_t;`.
    fn type_shim(&mut self, node: Node) {
        let (name, target, form) = if node.kind_name() == "alias_declaration" {
            let name = node.field("name");
            let target = node.field("type").and_then(|t| t.field("type").or(Some(t)));
            (name, target, ShimForm::Alias)
        } else {
            let name = node.field("declarator");
            (name, node.field("type"), ShimForm::Typedef)
        };
        if let (Some(name), Some(target)) = (name, target) {
            if matches!(name.kind_name(), "type_identifier" | "identifier") {
                self.out.shim_candidates.push(ShimCandidate {
                    name: self.text_of(name).to_string(),
                    target: self.text_of(target).to_string(),
                    offset: node.start_byte(),
                    form,
                });
            }
        }
    }

    /// A function whose body calls a name is a wrapper candidate for each HIP-looking callee;
    /// the post-pass keeps those whose name is CUDA and whose callee is HIP.
    pub(super) fn wrapper_shims(&mut self) {
        let facts = &self.out.facts;
        for (name, body, start) in &self.functions {
            let first = facts.partition_point(|f| f.span.start < body.start);
            let callee = facts[first..]
                .iter()
                .take_while(|f| f.span.start < body.end)
                .find(|f| {
                    f.kind == FactKind::Name && f.text.to_ascii_lowercase().starts_with("hip")
                });
            if let Some(callee) = callee {
                self.out.shim_candidates.push(ShimCandidate {
                    name: name.clone(),
                    target: callee.text.clone(),
                    offset: *start,
                    form: ShimForm::Wrapper,
                });
            }
        }
    }

    /// Records a declarator's name as defined by this file and keeps it from becoming a fact.
    fn define(&mut self, declarator: Node) {
        let mut node = declarator;
        loop {
            match node.kind_name() {
                "identifier" | "type_identifier" | "field_identifier" | "namespace_identifier" => {
                    self.skip.insert((node.start_byte(), node.end_byte()));
                    self.out.defined.push(self.text_of(node).to_string());
                    return;
                }
                "qualified_identifier" => {
                    self.skip.insert((node.start_byte(), node.end_byte()));
                    match node.field("name") {
                        Some(name) => node = name,
                        None => return,
                    }
                }
                "template_function" | "template_type" => match node.field("name") {
                    Some(name) => node = name,
                    None => return,
                },
                _ => match node.field("declarator") {
                    Some(inner) => node = inner,
                    None => return,
                },
            }
        }
    }

    /// Whether a declaration only declares functions (`cudaError_t cudaMalloc(void**, size_t);`,
    /// a method declared in a class): every declarator is a function declarator, and the
    /// declaration is not inside a function body, where `dim3 grid(n);` constructs an object.
    fn is_prototype(&self, node: Node) -> bool {
        // A prototype is one clean `…;` statement: a constructor with an initializer list or a
        // body that a macro qualifier (`CUTLASS_DEVICE Foo(P p) : x(p) {}`) made the grammar read as
        // a declaration is code, not a declaration.
        let text = self.text_of(node).trim_end();
        if node.has_error() || !text.ends_with(';') || text.contains('{') {
            return false;
        }
        // `template __global__ void k<float>(float*);` instantiates a kernel: a use.
        if node
            .parent()
            .is_some_and(|p| p.kind_name() == "template_instantiation")
            || text.starts_with("template ")
        {
            return false;
        }
        let declarators = children_by_field(node, "declarator");
        if declarators.is_empty() {
            return false;
        }
        let all_functions = declarators.iter().all(|&d| {
            let mut d = d;
            loop {
                match d.kind_name() {
                    "function_declarator" => return true,
                    "pointer_declarator" | "reference_declarator" | "attributed_declarator" => {
                        match d.field("declarator") {
                            Some(inner) => d = inner,
                            None => return false,
                        }
                    }
                    _ => return false,
                }
            }
        });
        let mut up = node.parent();
        while let Some(p) = up {
            if matches!(
                p.kind_name(),
                "compound_statement" | "function_definition" | "lambda_expression"
            ) {
                return false;
            }
            up = p.parent();
        }
        all_functions
    }

    /// The name of the function a declaration or definition declares (for kernel messages).
    pub(super) fn declared_function(&self, node: Node) -> Option<String> {
        let mut decl = node.field("declarator")?;
        loop {
            match decl.kind_name() {
                "function_declarator" => {
                    let name = decl.field("declarator")?;
                    return Some(self.callee_name(name));
                }
                _ => decl = decl.field("declarator")?,
            }
        }
    }

    pub(super) fn callee_name(&self, node: Node) -> String {
        let node = match node.kind_name() {
            "template_function" | "template_method" => node.field("name").unwrap_or(node),
            _ => node,
        };
        self.text_of(node)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::lang::Lang;
    use crate::lang::cpp::CppFrontEnd;

    #[test]
    fn prototypes_are_declarations_and_constructors_are_not() {
        let src = "struct S {\n  int i;\n  CUTLASS_DEVICE\n  S(int p) : i(blockIdx.x) {}\n};\ncudaError_t check(cudaStream_t s);\nvoid f() { dim3 grid(4); }\ntemplate __global__ void k<float>(float* x);\n";
        let ex = CppFrontEnd::new().extract(src, Lang::Cuda);
        let declared: Vec<&str> = ex.declarations.iter().map(|d| &src[d.clone()]).collect();
        assert_eq!(declared, ["cudaError_t check(cudaStream_t s);"]);
    }

    #[test]
    fn definitions_are_not_facts() {
        let mut fe = CppFrontEnd::new();
        let ex = fe.extract(
            "int cudaLikeHelper(int cudaCount) { return cudaCount; }\n#define CUDA_CHECK(x) x",
            Lang::Cpp,
        );
        assert!(ex.defined.contains(&"cudaLikeHelper".to_string()));
        assert!(ex.defined.contains(&"CUDA_CHECK".to_string()));
        assert!(ex.defined.contains(&"cudaCount".to_string()));
    }
}
