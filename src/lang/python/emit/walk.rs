//! The walk over one unit's tree: which nodes are looked at, and which kind of fact each one
//! may make. The walk is iterative (an explicit stack), so deep nesting cannot overflow.

use super::{Emitter, dot_start, is_string};
use crate::lang::node_names::NodeNames;
use crate::lang::python::scope::{MODULE, ScopeId, opens_scope, text};
use tree_sitter::Node;

#[derive(Clone, Copy)]
struct Item<'t> {
    node: Node<'t>,
    parent: &'static str,
    field: Option<&'static str>,
    scope: ScopeId,
    detail: Option<usize>,
}

impl<'t> Emitter<'t, '_> {
    pub(super) fn walk(&mut self, unit: usize) {
        let root = self.units[unit].tree.root_node();
        let mut stack = vec![Item {
            node: root,
            parent: "",
            field: None,
            scope: MODULE,
            detail: None,
        }];
        while let Some(item) = stack.pop() {
            let node = item.node;
            let scope = match opens_scope(node.kind_name()) {
                Some(_) => self
                    .scopes
                    .opened_by
                    .get(&(unit, node.id()))
                    .copied()
                    .unwrap_or(item.scope),
                None => item.scope,
            };
            let mut detail = item.detail;
            let descend = self.visit(unit, item, scope, &mut detail);
            if descend {
                push_children(&mut stack, node, scope, detail);
            }
        }
    }

    /// Handles one node; returns whether to visit its children.
    fn visit(
        &mut self,
        unit: usize,
        item: Item<'t>,
        scope: ScopeId,
        detail: &mut Option<usize>,
    ) -> bool {
        let node = item.node;
        match node.kind_name() {
            "comment"
            | "future_import_statement"
            | "global_statement"
            | "nonlocal_statement"
            | "dotted_name"
            | "keyword_separator"
            | "positional_separator" => false,
            "string" | "concatenated_string" => {
                self.visit_string(unit, item);
                // Only f-string interpolations hold code.
                true
            }
            "string_start" | "string_content" | "string_end" => false,
            "import_statement" => {
                self.import(unit, node);
                false
            }
            "import_from_statement" => {
                self.import_from(unit, node);
                false
            }
            "decorated_definition" => {
                self.visit_decorated(unit, node, scope, detail);
                true
            }
            "function_definition" | "class_definition" => {
                if node.kind_name() == "class_definition" {
                    self.build_class(unit, node);
                }
                // Facts inside the body are not about the decorator.
                *detail = None;
                true
            }
            "identifier" => {
                self.visit_identifier(unit, item, scope);
                false
            }
            "attribute" => self.visit_attribute(unit, item, scope),
            "call" => {
                self.call(unit, node, scope, item.detail);
                self.build_call(unit, node, scope);
                true
            }
            "subscript" => {
                self.environ_subscript(unit, node, scope);
                true
            }
            "default_parameter" | "typed_default_parameter" => {
                self.default_parameter(unit, node, scope, item.detail);
                true
            }
            "assignment" => {
                self.device_assignment(unit, node, scope);
                true
            }
            "comparison_operator" => {
                self.env_membership(unit, node, scope);
                true
            }
            "if_statement" => {
                self.rocm_if(unit, node, scope);
                true
            }
            "conditional_expression" => {
                self.rocm_ternary(unit, node, scope);
                true
            }
            "dictionary" => {
                self.environ_dictionary(unit, node, scope);
                true
            }
            _ => true,
        }
    }

    /// A string literal: CUDA source not (yet) seen handed to an API, or a ROCm build marker.
    fn visit_string(&mut self, unit: usize, item: Item<'t>) {
        let node = item.node;
        // A bare string statement is a docstring; a part of an implicit concatenation is
        // looked at as the whole.
        let docstring = item.parent == "expression_statement";
        if !docstring && item.parent != "concatenated_string" && self.looks_like_cuda(unit, node) {
            self.loose_sources.push((unit, node));
        }
        if !docstring && item.parent != "concatenated_string" {
            self.rocm_string(unit, node);
        }
    }

    /// A decorated function: its decorators' facts say which function they decorate.
    fn visit_decorated(
        &mut self,
        unit: usize,
        node: Node<'t>,
        scope: ScopeId,
        detail: &mut Option<usize>,
    ) {
        self.rocm_decorated(unit, node, scope);
        if let Some(name) = node.field("definition").and_then(|d| d.field("name")) {
            self.details
                .push(format!("function `{}`", text(name, self.src(unit))));
            *detail = Some(self.details.len() - 1);
        }
    }

    fn visit_identifier(&mut self, unit: usize, item: Item<'t>, scope: ScopeId) {
        let node = item.node;
        // The root of a chain is reported with the chain; an attribute's name is no
        // reference of its own.
        let in_chain = item.parent == "attribute";
        // A variable holding an imported value (`tid = cuda.threadIdx.x`) is reported
        // where it is assigned; its bare uses are not reported again, but a call through
        // it (`sync = torch.cuda.synchronize; sync()`) is.
        let called = item.parent == "call" && item.field == Some("function");
        if !in_chain
            && !binding_position(item.parent, item.field)
            && (called || !self.is_value_alias(unit, node, scope))
        {
            self.reference(unit, node, scope, item.detail);
        }
    }

    /// An attribute chain: the reference it resolves to, else `.name` of a value's attribute
    /// (calls report their method themselves). Returns whether to visit its children.
    fn visit_attribute(&mut self, unit: usize, item: Item<'t>, scope: ScopeId) -> bool {
        let node = item.node;
        if item.parent == "attribute" && item.field == Some("object") {
            // Part of a longer chain: the outermost attribute reports it.
            return !self.resolves(unit, node, scope);
        }
        if self.reference(unit, node, scope, item.detail) {
            return false;
        }
        if item.field != Some("function") || item.parent != "call" {
            if let Some(name) = node.field("attribute") {
                let start = dot_start(node).unwrap_or(name.start_byte());
                let d = self.detail_text(item.detail);
                self.push(
                    unit,
                    format!(".{}", text(name, self.src(unit))),
                    start..name.end_byte(),
                    d.as_deref(),
                );
            }
        }
        true
    }

    /// `os.environ["X"]` (or a copy of the environment, subscripted by a string).
    fn environ_subscript(&mut self, unit: usize, node: Node<'t>, scope: ScopeId) {
        if let (Some(value), Some(key)) = (node.field("value"), node.field("subscript")) {
            if is_string(key) && self.is_environ(unit, value, scope) {
                self.env_key(unit, key);
            }
        }
    }

    /// `def f(device="cuda")`: the same fact as a keyword argument.
    fn default_parameter(
        &mut self,
        unit: usize,
        node: Node<'t>,
        scope: ScopeId,
        detail: Option<usize>,
    ) {
        if let (Some(name), Some(value)) = (node.field("name"), node.field("value")) {
            if let Some(token) = self.device_arg(unit, value, scope) {
                let d = self.detail_text(detail);
                self.push(
                    unit,
                    format!("{}={token}", text(name, self.src(unit))),
                    node.byte_range(),
                    d.as_deref(),
                );
            }
        }
    }

    /// `device = "cuda"`, `self.backend = "nccl"`, `backend: str = "nccl"`.
    fn device_assignment(&mut self, unit: usize, node: Node<'t>, scope: ScopeId) {
        if let (Some(left), Some(right)) = (node.field("left"), node.field("right")) {
            let target = match left.kind_name() {
                "identifier" => Some(left),
                "attribute" => left.field("attribute"),
                _ => None,
            };
            if let Some(target) = target {
                if let Some(token) = self.device_arg(unit, right, scope) {
                    let name = text(target, self.src(unit)).to_ascii_lowercase();
                    self.push(unit, format!("{name}={token}"), node.byte_range(), None);
                }
            }
        }
    }

    /// `{**os.environ, "X": …}`: a dictionary that becomes an environment.
    fn environ_dictionary(&mut self, unit: usize, node: Node<'t>, scope: ScopeId) {
        let mut cursor = node.walk();
        let from_environ = node.named_children(&mut cursor).any(|c| {
            c.kind_name() == "dictionary_splat"
                && c.named_child(0)
                    .is_some_and(|e| self.is_environ(unit, e, scope))
        });
        if from_environ {
            self.env_dict(unit, node);
        }
    }
}

/// Pushes a node's children (in reverse, so they pop in source order) with their field names.
fn push_children<'t>(
    stack: &mut Vec<Item<'t>>,
    node: Node<'t>,
    scope: ScopeId,
    detail: Option<usize>,
) {
    let parent = node.kind_name();
    let mut cursor = node.walk();
    if !cursor.goto_first_child() {
        return;
    }
    let start = stack.len();
    loop {
        // Punctuation and keywords make no fact (`visit` looks at named nodes only).
        let child = cursor.node();
        if child.is_named() {
            stack.push(Item {
                node: child,
                parent,
                field: cursor.field_name(),
                scope,
                detail,
            });
        }
        if !cursor.goto_next_sibling() {
            break;
        }
    }
    stack[start..].reverse();
}

/// Whether an identifier, by its place in the tree, names something rather than uses it:
/// parameters, assignment targets, keyword-argument names, definitions.
fn binding_position(parent: &str, field: Option<&str>) -> bool {
    match parent {
        "parameters"
        | "lambda_parameters"
        | "typed_parameter"
        | "list_splat_pattern"
        | "dictionary_splat_pattern"
        | "pattern_list"
        | "tuple_pattern"
        | "list_pattern"
        | "as_pattern_target"
        | "aliased_import"
        | "global_statement"
        | "nonlocal_statement" => true,
        "keyword_argument"
        | "default_parameter"
        | "typed_default_parameter"
        | "function_definition"
        | "class_definition"
        | "named_expression" => field == Some("name"),
        "assignment" | "augmented_assignment" | "for_statement" | "for_in_clause" => {
            field == Some("left")
        }
        _ => false,
    }
}
