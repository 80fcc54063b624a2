//! Splitting the last user turn into the **ask** (instruction text) and pasted **material**
//! (documents, code, logs, tables), plus cheap statistics over the material and the ask.
//!
//! Invariant: pure and total; never panics, never allocates more than a few small vectors.
//! Cost is linear in the scanned bytes and bounded: the turn is split over its first
//! [`SCAN_HEAD_BYTES`] and last [`SCAN_TAIL_BYTES`] (the gap counts as material), line
//! classifiers look at the first [`LINE_HEAD_BYTES`] of a line, and material statistics stop after
//! [`MATERIAL_SCAN_BYTES`].

use super::text::{fold_width, head_str, tail_str};

/// Bytes of the last user turn split into blocks from its start.
pub const SCAN_HEAD_BYTES: usize = 64 * 1024;
/// Bytes of the last user turn split into blocks from its end (when the turn is longer).
pub const SCAN_TAIL_BYTES: usize = 4 * 1024;
/// A paragraph longer than this is material unless it is the only prose paragraph.
pub const PARA_ASK_MAX: usize = 450;
/// A trailing paragraph is an ask candidate only up to this size.
pub const ASK_TAIL_BYTES: usize = 450;
/// Bytes of each line examined by the line classifiers.
pub const LINE_HEAD_BYTES: usize = 256;
/// Ask bytes examined by [`ask_stats`].
pub const ASK_STATS_BYTES: usize = 1024;
/// Material bytes examined for line statistics.
pub const MATERIAL_SCAN_BYTES: usize = 32 * 1024;

/// The ask/material split of one turn plus material statistics.
#[derive(Debug, Default)]
pub struct TurnSplit<'a> {
    pub ask: Vec<&'a str>,
    /// Material bytes already scanned for statistics (bounded by `MATERIAL_SCAN_BYTES`).
    pub scanned: usize,
    pub material_bytes: usize,
    pub fenced: bool,
    pub code_lines: usize,
    pub stack_trace: bool,
    pub table_lines: usize,
    pub numeric_lines: usize,
}

#[derive(Debug, Clone, Copy)]
struct Block<'a> {
    text: &'a str,
    fenced: bool,
    lines: usize,
}

/// Split a turn into ask segments and material (see the module doc for the rule).
pub fn split_turn(text: &str) -> TurnSplit<'_> {
    let mut out = TurnSplit::default();
    let (head, tail, gap) = if text.len() > SCAN_HEAD_BYTES + SCAN_TAIL_BYTES {
        let h = head_str(text, SCAN_HEAD_BYTES);
        let t = tail_str(text, SCAN_TAIL_BYTES);
        (h, t, text.len().saturating_sub(h.len() + t.len()))
    } else {
        (text, "", 0)
    };
    let mut blocks = Vec::new();
    split_blocks(head, &mut blocks);
    split_blocks(tail, &mut blocks);
    out.material_bytes = gap;

    // Prose blocks eligible to be the ask.
    let prose: Vec<usize> = (0..blocks.len())
        .filter(|&i| blocks.get(i).is_some_and(|b| !b.fenced && !is_data_block(b.text)))
        .collect();
    let mut is_ask = vec![false; blocks.len()];
    let mut consumed: Option<usize> = None; // a block already split by `split_long_block`
    if prose.len() == 1 {
        if let Some(&i) = prose.first() {
            if let Some(b) = blocks.get(i) {
                if b.text.len() > 1200 && b.lines >= 3 {
                    // One long multi-line block: first line (if an instruction) and last line.
                    split_long_block(b.text, &mut out);
                    consumed = Some(i);
                } else if let Some(x) = is_ask.get_mut(i) {
                    *x = true;
                }
            }
        }
    } else if !blocks.is_empty() {
        // Head: the first prose block; tail: the last block when it is prose.
        let last = blocks.len() - 1;
        let head = prose
            .first()
            .copied()
            .filter(|&i| blocks.get(i).is_some_and(|b| b.text.len() <= PARA_ASK_MAX));
        let tail = Some(last).filter(|&i| {
            Some(i) != head
                && prose.contains(&i)
                && blocks.get(i).is_some_and(|b| b.text.len() <= ASK_TAIL_BYTES)
        });
        let len_of = |i: usize| blocks.get(i).map_or(0, |b| b.text.len());
        let chosen: Vec<usize> = match (head, tail) {
            (Some(h), Some(t)) if blocks.len() == 2 => {
                // Two blocks: the instruction is normally the shorter one.
                if len_of(h).max(len_of(t)) <= 160 {
                    vec![h, t]
                } else if len_of(h) <= len_of(t) {
                    vec![h]
                } else {
                    vec![t]
                }
            }
            (Some(h), Some(t)) => {
                // "Instruction:" followed by several blocks: the last block belongs to the material
                // (a signature, the end of a letter) unless it is one short line (a follow-up ask).
                let head_text = blocks.get(h).map_or("", |b| b.text.trim_end());
                let short_line = blocks.get(t).is_some_and(|b| b.lines == 1 && b.text.len() <= 160);
                if (head_text.ends_with(':') || head_text.ends_with('：')) && !short_line {
                    vec![h]
                } else {
                    vec![h, t]
                }
            }
            (Some(h), None) => vec![h],
            (None, Some(t)) => vec![t],
            (None, None) => Vec::new(),
        };
        for i in chosen {
            if let Some(x) = is_ask.get_mut(i) {
                *x = true;
            }
        }
        if !is_ask.iter().any(|x| *x) {
            // No short prose block: the head of the first and the tail of the last unfenced
            // block stand in for the ask (an exam passage with its question, a long letter).
            let first = blocks.iter().position(|b| !b.fenced);
            let last_unfenced = blocks.iter().rposition(|b| !b.fenced);
            if let Some(f) = first {
                for (i, b) in blocks.iter().enumerate() {
                    if Some(i) == first {
                        // "Convert this CSV:\n<rows>": a short first line over data is the ask.
                        let line = b.text.lines().next().unwrap_or("");
                        let h = if b.lines >= 2
                            && line.len() <= 200
                            && !is_table_line(line)
                            && !is_code_line(line)
                        {
                            line
                        } else {
                            head_str(b.text, PARA_ASK_MAX)
                        };
                        out.ask.push(h);
                        let last_line = b.text.lines().last().unwrap_or("");
                        let data_tail = is_table_line(head_str(last_line, LINE_HEAD_BYTES))
                            || is_code_line(head_str(last_line, LINE_HEAD_BYTES));
                        if first == last_unfenced
                            && h.len() == head_str(b.text, PARA_ASK_MAX).len()
                            && !data_tail
                        {
                            let t = tail_str(b.text, ASK_TAIL_BYTES);
                            if b.text.len() > h.len() + t.len() {
                                out.ask.push(t);
                            }
                        }
                        out.material_bytes += b.text.len().saturating_sub(h.len());
                        scan_material(b.text, &mut out);
                    } else if Some(i) == last_unfenced && last_unfenced != Some(f) {
                        out.ask.push(tail_str(b.text, ASK_TAIL_BYTES));
                        out.material_bytes += b.text.len().saturating_sub(ASK_TAIL_BYTES);
                        scan_material(b.text, &mut out);
                    } else {
                        add_material(b, &mut out);
                    }
                }
                return out;
            }
        }
    }
    for (i, b) in blocks.iter().enumerate() {
        if consumed == Some(i) {
            continue;
        }
        if is_ask.get(i).copied().unwrap_or(false) {
            match colon_head(b.text) {
                Some((first, rest)) => {
                    out.ask.push(first);
                    out.material_bytes += rest.len();
                    scan_material(rest, &mut out);
                }
                None => out.ask.push(b.text),
            }
        } else {
            add_material(b, &mut out);
        }
    }
    out
}

/// `"Instruction:\n<material>"`: a short first line ending in a colon followed by at least
/// 250 bytes; returns (instruction, material).
fn colon_head(text: &str) -> Option<(&str, &str)> {
    let nl = text.find('\n')?;
    let first = text.get(..nl)?;
    let rest = text.get(nl + 1..)?;
    let f = first.trim_end();
    if f.len() <= 120 && (f.ends_with(':') || f.ends_with('：')) && rest.len() >= 250 {
        Some((first, rest))
    } else {
        None
    }
}

fn add_material(b: &Block<'_>, out: &mut TurnSplit<'_>) {
    out.material_bytes += b.text.len();
    if b.fenced {
        out.fenced = true;
    }
    scan_material(b.text, out);
}

fn split_long_block<'a>(text: &'a str, out: &mut TurnSplit<'a>) {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("");
    let last = text.trim_end().rsplit('\n').next().unwrap_or("");
    let first_is_ask = first.len() <= 300
        && (first.trim_end().ends_with(':') || first.trim_end().ends_with('：') || first.len() < 160);
    let last_is_ask = last.len() <= 300 && last.len() < text.len() / 4;
    let mut mat = text.len();
    if first_is_ask {
        out.ask.push(first);
        mat = mat.saturating_sub(first.len());
    }
    if last_is_ask && last.len() != text.len() {
        out.ask.push(last);
        mat = mat.saturating_sub(last.len());
    }
    if !first_is_ask && !last_is_ask {
        out.ask.push(text);
        return;
    }
    out.material_bytes += mat;
    scan_material(text, out);
}

fn split_blocks<'a>(text: &'a str, out: &mut Vec<Block<'a>>) {
    if text.is_empty() {
        return;
    }
    let mut start: Option<usize> = None;
    let mut lines = 0usize;
    let mut in_fence = false;
    let mut pos = 0usize;
    for line in text.split_inclusive('\n') {
        let line_start = pos;
        pos += line.len();
        let t = line.trim();
        let fence = t.starts_with("```") || t.starts_with("~~~");
        if in_fence {
            lines += 1;
            if fence {
                if let (Some(s), Some(txt)) = (start, text.get(start.unwrap_or(0)..pos)) {
                    let _ = s;
                    out.push(Block {
                        text: txt,
                        fenced: true,
                        lines,
                    });
                }
                start = None;
                lines = 0;
                in_fence = false;
            }
            continue;
        }
        if fence || t.is_empty() {
            if let Some(s) = start {
                if let Some(txt) = text.get(s..line_start) {
                    if !txt.trim().is_empty() {
                        out.push(Block {
                            text: txt.trim_end(),
                            fenced: false,
                            lines,
                        });
                    }
                }
            }
            start = None;
            lines = 0;
            if fence {
                in_fence = true;
                start = Some(line_start);
                lines = 1;
            }
            continue;
        }
        if start.is_none() {
            start = Some(line_start);
        }
        lines += 1;
    }
    if let Some(s) = start {
        if let Some(txt) = text.get(s..) {
            if !txt.trim().is_empty() {
                out.push(Block {
                    text: txt.trim_end(),
                    fenced: in_fence,
                    lines,
                });
            }
        }
    }
}

/// A block whose lines mostly look like code, logs or table rows (three lines or more), or a
/// short block made only of code lines without a question.
fn is_data_block(text: &str) -> bool {
    let mut n = 0usize;
    let mut data = 0usize;
    let mut code = 0usize;
    for line in text.lines().take(200) {
        let line = head_str(line, LINE_HEAD_BYTES);
        n += 1;
        let c = is_code_line(line);
        if c {
            code += 1;
        }
        if c || is_table_line(line) || is_trace_line(line) {
            data += 1;
        }
    }
    (n >= 3 && data * 2 >= n) || (n > 0 && code == n && !text.contains('?'))
}

fn scan_material(text: &str, out: &mut TurnSplit<'_>) {
    if out.scanned >= MATERIAL_SCAN_BYTES {
        return;
    }
    let text = head_str(text, MATERIAL_SCAN_BYTES - out.scanned);
    out.scanned += text.len().max(1);
    for line in text.lines() {
        let line = head_str(line, LINE_HEAD_BYTES);
        if is_code_line(line) {
            out.code_lines += 1;
        }
        if is_table_line(line) {
            out.table_lines += 1;
        }
        if !out.stack_trace && is_trace_line(line) {
            out.stack_trace = true;
        }
        let digits = line.bytes().filter(u8::is_ascii_digit).count();
        if digits >= 2 && digits * 6 >= line.len() {
            out.numeric_lines += 1;
        }
    }
}

fn is_code_line(line: &str) -> bool {
    let t = line.trim();
    if t.is_empty() {
        return false;
    }
    let ends = t.ends_with(';') || t.ends_with('{') || t.ends_with('}') || t.ends_with("):");
    let starts = [
        "def ", "fn ", "let ", "const ", "var ", "import ", "from ", "#include", "return ", "if (", "for (",
        "while (", "class ", "public ", "private ", "func ", "pub ", "select ", "SELECT ", "print(",
        "console.", "}", "elif ", "else:", "try:", "except",
    ]
    .iter()
    .any(|p| t.starts_with(p));
    let ops = t.contains("=>") || t.contains("->") || t.contains("::") || t.contains("==");
    ends || starts || (ops && line.starts_with("    "))
}

fn is_table_line(line: &str) -> bool {
    let t = line.trim();
    let pipes = t.bytes().filter(|b| *b == b'|').count();
    let tabs = t.bytes().filter(|b| *b == b'\t').count();
    let commas = t.bytes().filter(|b| *b == b',').count();
    if pipes >= 2 || tabs >= 2 || (commas >= 3 && t.bytes().any(|b| b.is_ascii_digit())) {
        return true;
    }
    // Whitespace-aligned columns: several numbers or several wide gaps.
    let numbers = t
        .split(|c: char| c.is_whitespace())
        .filter(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit() || c == '+' || c == '-')
        })
        .filter(|w| w.chars().any(|c| c.is_ascii_digit()))
        .count();
    numbers >= 3 || (t.matches("  ").count() >= 2 && numbers >= 1)
}

fn is_trace_line(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("Traceback")
        || t.starts_with("at ") && t.contains('(') && t.contains(':')
        || t.starts_with("File \"")
        || t.contains("Exception")
        || t.contains("panicked at")
        || t.starts_with("error[E")
        || t.contains("Segmentation fault")
        || t.contains("Error: ")
        || t.starts_with("ERROR")
        || t.contains("undefined reference")
        || t.contains("NullPointer")
}

/// Cheap statistics of the ask text.
pub struct AskStats {
    pub math_ops: bool,
    pub latex: bool,
    pub question: bool,
    pub inline_code: bool,
    pub code_lines: usize,
}

/// Formula, question and code signals in (the first [`ASK_STATS_BYTES`] of) the ask.
pub fn ask_stats(ask: &str) -> AskStats {
    let head = head_str(ask, ASK_STATS_BYTES);
    let mut math_ops = false;
    let mut prev: Option<char> = None; // previous non-space char
    let mut pending: Option<char> = None; // operator seen right after an operand
    for c in head.chars() {
        let c = fold_width(c);
        if c == ' ' {
            continue;
        }
        if matches!(c, '√' | '²' | '³' | '∑' | '∫' | '≤' | '≥' | '≠' | '≈' | '∞') {
            math_ops = true;
        }
        if let Some(op) = pending.take() {
            // operand op operand: "3 + 4", "(a+b)^2", "x^2"
            if c.is_ascii_digit() || c == '(' || (op == '^' && c.is_ascii_alphabetic()) {
                math_ops = true;
            }
        }
        if matches!(c, '+' | '*' | '/' | '=' | '^' | '×' | '÷') {
            let operand =
                prev.is_some_and(|p| p.is_ascii_digit() || p == ')' || (c == '^' && p.is_ascii_alphabetic()));
            if operand {
                pending = Some(c);
            }
        }
        prev = Some(c);
    }
    let latex = head.contains("\\frac")
        || head.contains("\\sum")
        || head.contains("\\int")
        || head.contains("\\sqrt")
        || head.contains("\\le")
        || head.contains("\\cdot")
        || head.matches('$').count() >= 2 && head.contains('\\');
    let question = head.contains('?') || head.contains('？');
    let inline_code = head.matches('`').count() >= 2;
    let code_lines = head
        .lines()
        .filter(|l| is_code_line(head_str(l, LINE_HEAD_BYTES)))
        .count();
    AskStats {
        math_ops,
        latex,
        question,
        inline_code,
        code_lines,
    }
}

/// Count of code-looking lines in a text.
pub fn code_line_count(s: &str) -> usize {
    s.lines()
        .take(2000)
        .filter(|l| is_code_line(head_str(l, LINE_HEAD_BYTES)))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_blocks_pick_the_shorter_as_ask() {
        let doc = "Dear team, the office will be closed on Friday for maintenance. ".repeat(5);
        let t1 = format!("Fix the typos please\n\n{doc}");
        let s = split_turn(&t1);
        assert_eq!(s.ask, vec!["Fix the typos please"]);
        let t2 = format!("{doc}\n\nWhat is the main risk here?");
        let s = split_turn(&t2);
        assert_eq!(s.ask, vec!["What is the main risk here?"]);
        assert!(s.material_bytes >= doc.trim_end().len());
    }

    #[test]
    fn colon_instruction_and_trailing_block() {
        let body = "Line of a letter with some words in it.\n".repeat(10);
        let t1 = format!("Translate to German:\n{body}");
        let s = split_turn(&t1);
        assert_eq!(s.ask, vec!["Translate to German:"]);
        let t2 = format!("Correct this:\n\n{body}\n\nBest regards,\nPaul");
        let s = split_turn(&t2);
        assert_eq!(s.ask, vec!["Correct this:"]);
    }

    #[test]
    fn long_single_block_counts_material_once() {
        let lines = "name, age, city, score 12, 3, 4\n".repeat(60);
        let text = format!("Convert to JSON\n{lines}");
        let s = split_turn(&text);
        assert!(s.material_bytes <= text.len());
        assert!(s.table_lines >= 3);
    }

    #[test]
    fn function_stub_is_the_ask() {
        let text = "from typing import List\n\n\ndef f(xs: List[int]) -> int:\n    \"\"\"Return the sum.\n    >>> f([1, 2])\n    3\n    \"\"\"\n";
        let s = split_turn(text);
        assert_eq!(s.ask.len(), 1);
        assert!(s.ask.first().is_some_and(|a| a.starts_with("def f")));
    }

    #[test]
    fn huge_turn_scans_head_and_tail_only() {
        let text = format!(
            "Summarize:\n\n{}\n\nIn one sentence please.",
            "x ".repeat(200_000)
        );
        let s = split_turn(&text);
        assert!(s.ask.contains(&"In one sentence please."));
        assert!(s.scanned <= MATERIAL_SCAN_BYTES + 8);
        assert!(s.material_bytes > 300_000);
    }
}
