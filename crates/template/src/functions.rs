//! The function sets a template may call: Go's built-ins always, and
//! either Prometheus's (alert templates) or Loki's (LogQL's `line_format`
//! and `label_format`). A name the set does not define is a parse error,
//! as in Go.
//!
//! ```
//! use o11y_template::{Functions, Template};
//!
//! assert!(Template::parse_with("t", "{{ humanize 1 }}", &[], Functions::Prometheus).is_ok());
//! assert!(Template::parse_with("t", "{{ humanize 1 }}", &[], Functions::Loki).is_err());
//! assert!(Template::parse_with("t", "{{ __line__ | upper }}", &[], Functions::Loki).is_ok());
//! ```

use crate::env::Env;
use crate::error::CallError;
use crate::value::Value;
use crate::{builtins, loki, prometheus};

/// Which functions a template may call besides Go's built-ins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Functions {
    /// Prometheus's (`humanize`, `query`, `toTime`, …), for alert labels
    /// and annotations.
    #[default]
    Prometheus,
    /// Loki's (`ToUpper`, `regexReplaceAll`, `__line__`, `__timestamp__`,
    /// and the string, math and date functions of sprig Loki enables), for
    /// LogQL's `line_format` and `label_format`.
    Loki,
}

impl Functions {
    /// The set's own names; they win over a built-in of the same name
    /// (Loki's `printf`).
    fn own(self) -> &'static [&'static str] {
        match self {
            Functions::Prometheus => prometheus::NAMES,
            Functions::Loki => loki::NAMES,
        }
    }

    /// Whether a template may call `name`.
    pub(crate) fn defines(self, name: &str) -> bool {
        self.own().contains(&name) || builtins::NAMES.contains(&name)
    }

    /// Calls `name` with its arguments (a piped value last).
    pub(crate) fn call(
        self,
        name: &str,
        args: Vec<Value>,
        env: &Env<'_>,
    ) -> Result<Value, CallError> {
        if !self.own().contains(&name) {
            return builtins::call(name, args);
        }
        match self {
            Functions::Prometheus => prometheus::call(name, args, env),
            Functions::Loki => loki::call(name, args, env),
        }
    }
}
