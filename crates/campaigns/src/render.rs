//! Reply templates: a sandboxed minijinja environment (no loader; include, import, extends and
//! macros refused; strict undefined; fuel), templates checked for unknown variables when loaded.

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use std::collections::BTreeSet;

/// Instructions one render may execute: generous for a reply, fatal to a runaway loop.
pub const FUEL: u64 = 20_000;

/// Variables every template may use besides the extracted fields and the table's columns.
pub const BUILTIN_VARS: &[&str] = &["name", "handle", "link", "lang", "example", "campaign"];

/// The templates of a campaign set.
#[derive(Debug)]
pub struct Renderer {
    env: Environment<'static>,
}

/// A template that could not be compiled or rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TemplateIssue {
    pub message: String,
    /// 1-based line inside the template.
    pub line: Option<usize>,
}

impl From<minijinja::Error> for TemplateIssue {
    fn from(e: minijinja::Error) -> Self {
        let detail = e.detail().map(|d| format!(": {d}")).unwrap_or_default();
        TemplateIssue {
            message: format!("{}{detail}", e.kind()),
            line: e.line(),
        }
    }
}

impl Default for Renderer {
    fn default() -> Self {
        Renderer::new()
    }
}

impl Renderer {
    /// An environment that can read no file (it has no loader, and [`Renderer::add`] refuses
    /// `include`, `import`, `extends` and macros whatever minijinja's build features), never
    /// escapes (replies are plain text), refuses undefined variables, and stops any render
    /// after [`FUEL`] instructions.
    pub fn new() -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_fuel(Some(FUEL));
        env.set_recursion_limit(32);
        Renderer { env }
    }

    /// Compiles a template and returns the variables it reads (its free names, minus the
    /// environment's own functions such as `range`).
    pub fn add(&mut self, name: &str, source: &str) -> Result<BTreeSet<String>, TemplateIssue> {
        if let Some(issue) = forbidden_statement(source) {
            return Err(issue);
        }
        self.env
            .add_template_owned(name.to_owned(), source.to_owned())?;
        let template = self.env.get_template(name)?;
        let globals: BTreeSet<&str> = self.env.globals().map(|(n, _)| n).collect();
        Ok(template
            .undeclared_variables(false)
            .into_iter()
            .filter(|v| !globals.contains(v.as_str()))
            .collect())
    }

    /// Renders a compiled template. Values are data, never template source: a display name
    /// such as `{{ 7*7 }}` comes out as written.
    pub fn render(&self, name: &str, ctx: &Value) -> Result<String, TemplateIssue> {
        let template = self.env.get_template(name)?;
        let text = template.render(ctx)?;
        Ok(text.trim().to_owned())
    }
}

/// Statements a reply template may not use: they read other templates (files, once a loader
/// exists) or define macros. The sandbox refuses them itself rather than trusting minijinja's
/// build features, which another crate of the same build may turn on (the web crate needs
/// `include` and `extends` for its pages).
const FORBIDDEN: &[&str] = &[
    "include", "import", "from", "extends", "macro", "call", "block",
];

fn forbidden_statement(source: &str) -> Option<TemplateIssue> {
    let mut rest = source;
    let mut offset = 0;
    while let Some(at) = rest.find("{%") {
        let after = &rest[at + 2..];
        let word: String = after
            .trim_start_matches(['-', '+', '~'])
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if FORBIDDEN.contains(&word.as_str()) {
            let line = source[..offset + at].matches('\n').count() + 1;
            return Some(TemplateIssue {
                message: format!("`{word}` is not allowed in a reply template"),
                line: Some(line),
            });
        }
        offset += at + 2;
        rest = after;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_variables_and_sandbox() {
        let mut r = Renderer::new();
        let vars = r
            .add(
                "t",
                "{% for i in range(2) %}{{ name }}{% endfor %} {{ commune }}",
            )
            .unwrap();
        assert_eq!(vars.into_iter().collect::<Vec<_>>(), ["commune", "name"]);
        assert!(r.add("inc", "{% include 'x.txt' %}").is_err());
        let e = r
            .add("inc2", "Bonjour\n{%- import 'm' as m %}")
            .unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("import"), "{e:?}");
        assert!(r.add("ok", "{% if name %}{{ name }}{% endif %}").is_ok());
        assert!(r.add("ext", "{% extends '/etc/passwd' %}").is_err());
        assert!(
            r.add("mac", "{% macro f() %}{{ f() }}{% endmacro %}")
                .is_err()
        );
        r.add(
            "loop",
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
        )
        .unwrap();
        let err = r.render("loop", &Value::from(())).unwrap_err();
        assert!(err.message.contains("fuel"), "{err:?}");
        let ctx: Value = [("name", "{{ 7*7 }} <b>x</b>")].into_iter().collect();
        r.add("n", "Bonjour {{ name }}").unwrap();
        assert_eq!(r.render("n", &ctx).unwrap(), "Bonjour {{ 7*7 }} <b>x</b>");
    }
}
