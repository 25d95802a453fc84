//! Dialog forms as data: a list of fields with a focus, edited by keys
//! (Tab / Shift-Tab move, Space toggles, typing edits) and validated by
//! `update` into request bodies. Errors sit on the field they are about.

use crossterm::event::{KeyCode, KeyEvent};

/// What a form is for; decides how it is validated and what it sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormKind {
    /// Generate an activation-code batch on a license.
    Batch {
        license_id: i64,
    },
    /// Export a batch to a file the user names.
    Export {
        batch_id: i64,
    },
    /// The seed's Edit Order window: the order's facts read-only (the API
    /// changes none of them) and Active License, which it can change.
    EditOrder {
        license_id: i64,
    },
    /// Change a created batch's options (the seed's checkboxes).
    BatchOptions {
        batch_id: i64,
    },
    Renewal {
        license_id: i64,
    },
    NewLicense,
    Approve {
        request_id: i64,
    },
    Reject {
        request_id: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    Text {
        value: String,
        placeholder: String,
    },
    Check {
        checked: bool,
    },
    /// One of `options`; Space or ←/→ cycle.
    Choice {
        options: Vec<String>,
        index: usize,
    },
    /// Read-only text (a heading or a fact); never takes focus.
    Note,
    /// A checkbox shown but not changeable, e.g. a renewal's product mix.
    Fixed {
        checked: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Stable name validation refers to.
    pub key: &'static str,
    pub label: String,
    pub kind: FieldKind,
    pub error: Option<String>,
}

impl Field {
    pub fn text(key: &'static str, label: &str, value: &str, placeholder: &str) -> Field {
        Field {
            key,
            label: label.into(),
            kind: FieldKind::Text {
                value: value.into(),
                placeholder: placeholder.into(),
            },
            error: None,
        }
    }

    pub fn check(key: &'static str, label: &str, checked: bool) -> Field {
        Field {
            key,
            label: label.into(),
            kind: FieldKind::Check { checked },
            error: None,
        }
    }

    pub fn choice(key: &'static str, label: &str, options: Vec<String>, index: usize) -> Field {
        Field {
            key,
            label: label.into(),
            kind: FieldKind::Choice { options, index },
            error: None,
        }
    }

    pub fn note(label: &str) -> Field {
        Field {
            key: "",
            label: label.into(),
            kind: FieldKind::Note,
            error: None,
        }
    }

    pub fn fixed(label: &str, checked: bool) -> Field {
        Field {
            key: "",
            label: label.into(),
            kind: FieldKind::Fixed { checked },
            error: None,
        }
    }

    pub fn focusable(&self) -> bool {
        !matches!(self.kind, FieldKind::Note | FieldKind::Fixed { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub kind: FormKind,
    pub title: String,
    /// What Enter does, e.g. "Create Codes".
    pub submit: String,
    pub fields: Vec<Field>,
    /// Index into `fields` of the focused field.
    pub focus: usize,
    /// A refusal not tied to one field (usually the server's answer).
    pub error: Option<String>,
    /// Sent, waiting for the server: keys other than Esc do nothing.
    pub submitting: bool,
    /// Caret in the focused text field, in characters (past the end: at
    /// the end, where a field gains focus).
    pub caret: usize,
}

impl Form {
    pub fn new(kind: FormKind, title: &str, submit: &str, fields: Vec<Field>) -> Form {
        let focus = fields.iter().position(Field::focusable).unwrap_or(0);
        Form {
            kind,
            title: title.into(),
            submit: submit.into(),
            fields,
            focus,
            error: None,
            submitting: false,
            caret: usize::MAX,
        }
    }

    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    pub fn field_mut(&mut self, key: &str) -> Option<&mut Field> {
        self.fields.iter_mut().find(|f| f.key == key)
    }

    /// The trimmed text of a text field ("" when absent).
    pub fn value(&self, key: &str) -> String {
        match self.field(key).map(|f| &f.kind) {
            Some(FieldKind::Text { value, .. }) => value.trim().to_string(),
            _ => String::new(),
        }
    }

    pub fn checked(&self, key: &str) -> bool {
        matches!(
            self.field(key).map(|f| &f.kind),
            Some(FieldKind::Check { checked: true })
        )
    }

    pub fn choice(&self, key: &str) -> usize {
        match self.field(key).map(|f| &f.kind) {
            Some(FieldKind::Choice { index, .. }) => *index,
            _ => 0,
        }
    }

    /// The key of the focused field.
    pub fn focused_key(&self) -> &'static str {
        self.fields.get(self.focus).map_or("", |f| f.key)
    }

    pub fn set_error(&mut self, key: &str, error: String) {
        match self.field_mut(key) {
            Some(field) => field.error = Some(error),
            None => self.error = Some(error),
        }
    }

    pub fn clear_errors(&mut self) {
        self.error = None;
        for field in &mut self.fields {
            field.error = None;
        }
    }

    pub fn has_errors(&self) -> bool {
        self.error.is_some() || self.fields.iter().any(|f| f.error.is_some())
    }

    /// Moves the focus to the next (or previous) field that takes it, wrapping.
    pub fn step(&mut self, forward: bool) {
        let len = self.fields.len();
        if len == 0 {
            return;
        }
        let mut at = self.focus;
        for _ in 0..len {
            at = if forward {
                (at + 1) % len
            } else {
                (at + len - 1) % len
            };
            if self.fields[at].focusable() {
                self.focus = at;
                self.caret = usize::MAX;
                return;
            }
        }
    }

    /// Applies one key to the focused field. Returns true when a choice
    /// changed, since some forms rebuild fields that depend on it.
    pub fn key(&mut self, key: KeyEvent) -> bool {
        match key.code {
            KeyCode::Tab | KeyCode::Down => {
                self.step(true);
                return false;
            }
            KeyCode::BackTab | KeyCode::Up => {
                self.step(false);
                return false;
            }
            _ => {}
        }
        let Some(field) = self.fields.get_mut(self.focus) else {
            return false;
        };
        if let FieldKind::Text { value, .. } = &mut field.kind {
            let edited = crate::edit::apply(value, &mut self.caret, key);
            if edited == crate::edit::Edit::Changed {
                field.error = None;
            }
            return false;
        }
        match (&mut field.kind, key.code) {
            (FieldKind::Check { checked }, KeyCode::Char(' ')) => {
                *checked = !*checked;
                field.error = None;
            }
            (FieldKind::Choice { options, index }, KeyCode::Char(' ') | KeyCode::Right)
                if !options.is_empty() =>
            {
                *index = (*index + 1) % options.len();
                field.error = None;
                return true;
            }
            (FieldKind::Choice { options, index }, KeyCode::Left) if !options.is_empty() => {
                *index = (*index + options.len() - 1) % options.len();
                field.error = None;
                return true;
            }
            _ => {}
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::from(code)
    }

    #[test]
    fn focus_skips_notes_and_wraps_and_keys_edit_the_focused_field() {
        let mut form = Form::new(
            FormKind::NewLicense,
            "t",
            "go",
            vec![
                Field::note("heading"),
                Field::text("a", "A", "", ""),
                Field::fixed("fixed", true),
                Field::check("b", "B", false),
                Field::choice("c", "C", vec!["x".into(), "y".into()], 0),
            ],
        );
        assert_eq!(form.focused_key(), "a");
        form.key(key(KeyCode::Char('4')));
        form.key(key(KeyCode::Char('2')));
        form.key(key(KeyCode::Backspace));
        assert_eq!(form.value("a"), "4");
        form.key(key(KeyCode::Tab));
        assert_eq!(form.focused_key(), "b");
        form.key(key(KeyCode::Char(' ')));
        assert!(form.checked("b"));
        form.key(key(KeyCode::Tab));
        assert!(form.key(key(KeyCode::Char(' '))));
        assert_eq!(form.choice("c"), 1);
        assert!(form.key(key(KeyCode::Left)));
        assert_eq!(form.choice("c"), 0);
        form.key(key(KeyCode::Tab));
        assert_eq!(form.focused_key(), "a", "wraps past the note");
        form.key(key(KeyCode::BackTab));
        assert_eq!(form.focused_key(), "c");
    }

    #[test]
    fn text_fields_edit_at_the_caret() {
        let mut form = Form::new(
            FormKind::NewLicense,
            "t",
            "go",
            vec![Field::text("po", "PO", "PO-17", "")],
        );
        form.key(key(KeyCode::Home));
        form.key(key(KeyCode::Char('X')));
        form.key(key(KeyCode::End));
        form.key(key(KeyCode::Left));
        form.key(key(KeyCode::Backspace));
        assert_eq!(form.value("po"), "XPO-7");
        form.key(KeyEvent::new(
            KeyCode::Char('w'),
            crossterm::event::KeyModifiers::CONTROL,
        ));
        assert_eq!(form.value("po"), "7");
    }
}
