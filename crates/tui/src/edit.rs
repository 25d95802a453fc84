//! Line editing for the one-line text inputs (filters, palette, help
//! search, the confirmation word): a caret that Left/Right/Home/End move,
//! Backspace/Delete, and the shell's Ctrl-U (erase to the start) and
//! Ctrl-W (erase the word before the caret). The caret counts characters.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key did to the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// The text changed.
    Changed,
    /// Only the caret moved.
    Moved,
    /// The key means nothing to a text input.
    Ignored,
}

/// Byte offset of character `caret` in `text` (its end when past it).
fn byte_at(text: &str, caret: usize) -> usize {
    text.char_indices()
        .nth(caret)
        .map_or(text.len(), |(at, _)| at)
}

/// Applies `key` to `text` with the caret at `caret` (clamped first, as
/// the text may have been replaced since).
pub fn apply(text: &mut String, caret: &mut usize, key: KeyEvent) -> Edit {
    let len = text.chars().count();
    *caret = (*caret).min(len);
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('u') if ctrl => {
            if *caret == 0 {
                return Edit::Ignored;
            }
            text.replace_range(..byte_at(text, *caret), "");
            *caret = 0;
            Edit::Changed
        }
        KeyCode::Char('w') if ctrl => {
            let chars: Vec<char> = text.chars().collect();
            let mut start = *caret;
            while start > 0 && chars[start - 1].is_whitespace() {
                start -= 1;
            }
            while start > 0 && !chars[start - 1].is_whitespace() {
                start -= 1;
            }
            if start == *caret {
                return Edit::Ignored;
            }
            let (from, to) = (byte_at(text, start), byte_at(text, *caret));
            text.replace_range(from..to, "");
            *caret = start;
            Edit::Changed
        }
        KeyCode::Char(_) if ctrl => Edit::Ignored,
        KeyCode::Char(c) => {
            text.insert(byte_at(text, *caret), c);
            *caret += 1;
            Edit::Changed
        }
        KeyCode::Backspace if *caret > 0 => {
            let at = byte_at(text, *caret - 1);
            text.remove(at);
            *caret -= 1;
            Edit::Changed
        }
        KeyCode::Delete if *caret < len => {
            text.remove(byte_at(text, *caret));
            Edit::Changed
        }
        KeyCode::Left if *caret > 0 => {
            *caret -= 1;
            Edit::Moved
        }
        KeyCode::Right if *caret < len => {
            *caret += 1;
            Edit::Moved
        }
        KeyCode::Home => {
            *caret = 0;
            Edit::Moved
        }
        KeyCode::End => {
            *caret = len;
            Edit::Moved
        }
        _ => Edit::Ignored,
    }
}

/// Inserts pasted text at the caret, new lines and tabs as spaces (a
/// one-line input; a pasted list of emails stays a list).
pub fn paste(text: &mut String, caret: &mut usize, pasted: &str) -> bool {
    let clean: String = pasted
        .trim_end_matches(['\r', '\n'])
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.is_empty() {
        return false;
    }
    *caret = (*caret).min(text.chars().count());
    text.insert_str(byte_at(text, *caret), &clean);
    *caret += clean.chars().count();
    true
}

/// `text` split at the caret, for drawing the caret between the halves.
pub fn split(text: &str, caret: usize) -> (&str, &str) {
    text.split_at(byte_at(text, caret))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    #[test]
    fn the_caret_moves_and_typing_inserts_where_it_is() {
        let (mut text, mut caret) = ("ann@x.test".to_string(), 10);
        assert_eq!(
            apply(&mut text, &mut caret, key(KeyCode::Home)),
            Edit::Moved
        );
        apply(&mut text, &mut caret, key(KeyCode::Char('j')));
        assert_eq!((text.as_str(), caret), ("jann@x.test", 1));
        apply(&mut text, &mut caret, key(KeyCode::Right));
        apply(&mut text, &mut caret, key(KeyCode::Delete));
        assert_eq!(text, "jan@x.test");
        apply(&mut text, &mut caret, key(KeyCode::End));
        apply(&mut text, &mut caret, key(KeyCode::Backspace));
        assert_eq!((text.as_str(), caret), ("jan@x.tes", 9));
        assert_eq!(
            apply(&mut text, &mut caret, key(KeyCode::Right)),
            Edit::Ignored
        );
    }

    #[test]
    fn ctrl_w_erases_a_word_and_ctrl_u_the_start_of_the_line() {
        let (mut text, mut caret) = ("check ann@x.test CE-S".to_string(), 21);
        assert_eq!(apply(&mut text, &mut caret, ctrl('w')), Edit::Changed);
        assert_eq!((text.as_str(), caret), ("check ann@x.test ", 17));
        apply(&mut text, &mut caret, ctrl('w'));
        assert_eq!(text, "check ");
        apply(&mut text, &mut caret, key(KeyCode::Char('é')));
        apply(&mut text, &mut caret, key(KeyCode::Left));
        apply(&mut text, &mut caret, ctrl('u'));
        assert_eq!((text.as_str(), caret), ("é", 0));
    }

    #[test]
    fn pasted_lines_become_one_line() {
        let (mut text, mut caret) = (String::new(), 0);
        assert!(paste(&mut text, &mut caret, "a@x.test\nb@x.test\r\n"));
        assert_eq!((text.as_str(), caret), ("a@x.test b@x.test", 17));
    }
}
