//! A small RFC 4180 reader for imports: comma-separated, fields optionally in double quotes
//! (`""` is a quote inside one, and quoted fields may span lines), CRLF or LF line ends, a
//! leading byte-order mark ignored, blank lines skipped. Pure.

/// A CSV text that cannot be read, and the line where reading stopped (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    pub line: usize,
    pub message: String,
}

/// One record and the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRecord {
    pub line: usize,
    pub fields: Vec<String>,
}

pub fn parse(text: &str) -> Result<Vec<CsvRecord>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    // Whether the current field has begun (a quote counts), and the current record.
    let mut field_started = false;
    let mut record_started = false;
    let mut line = 1;
    let mut record_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => {
                    in_quotes = false;
                    if !matches!(chars.peek(), None | Some(',') | Some('\n') | Some('\r')) {
                        return Err(CsvError {
                            line,
                            message: "a closing quote must end its field".to_owned(),
                        });
                    }
                }
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if !field_started => {
                in_quotes = true;
                field_started = true;
                record_started = true;
            }
            '"' => {
                return Err(CsvError {
                    line,
                    message: "a quote inside an unquoted field".to_owned(),
                })
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                field_started = false;
                record_started = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                end_record(
                    &mut records,
                    &mut fields,
                    &mut field,
                    record_started,
                    record_line,
                );
                field_started = false;
                record_started = false;
                line += 1;
                record_line = line;
            }
            _ => {
                field.push(c);
                field_started = true;
                record_started = true;
            }
        }
    }
    if in_quotes {
        return Err(CsvError {
            line,
            message: "a quoted field is not closed".to_owned(),
        });
    }
    end_record(
        &mut records,
        &mut fields,
        &mut field,
        record_started,
        record_line,
    );
    Ok(records)
}

fn end_record(
    records: &mut Vec<CsvRecord>,
    fields: &mut Vec<String>,
    field: &mut String,
    record_started: bool,
    line: usize,
) {
    if !record_started {
        return;
    }
    fields.push(std::mem::take(field));
    records.push(CsvRecord {
        line,
        fields: std::mem::take(fields),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields_of(text: &str) -> Vec<Vec<String>> {
        parse(text)
            .unwrap()
            .into_iter()
            .map(|record| record.fields)
            .collect()
    }

    #[test]
    fn reads_quotes_empty_fields_and_line_ends() {
        let table: [(&str, Vec<Vec<&str>>); 8] = [
            ("a,b\n1,2\n", vec![vec!["a", "b"], vec!["1", "2"]]),
            ("a,b\r\n1,2", vec![vec!["a", "b"], vec!["1", "2"]]),
            ("\u{feff}a\n\n\nb\n", vec![vec!["a"], vec!["b"]]),
            ("a,,c\n", vec![vec!["a", "", "c"]]),
            (
                "\"x, y\",\"say \"\"hi\"\"\"\n",
                vec![vec!["x, y", "say \"hi\""]],
            ),
            ("\"two\nlines\",z", vec![vec!["two\nlines", "z"]]),
            ("\"\",b", vec![vec!["", "b"]]),
            ("a,\"b, c\",\"\"\n", vec![vec!["a", "b, c", ""]]),
        ];
        for (text, expected) in table {
            assert_eq!(fields_of(text), expected, "{text:?}");
        }
        let lines: Vec<usize> = parse("h\n\"a\nb\"\nc\n")
            .unwrap()
            .iter()
            .map(|record| record.line)
            .collect();
        assert_eq!(lines, [1, 2, 4]);
    }

    #[test]
    fn refuses_broken_quotes() {
        for (text, line) in [("a,\"b\nc", 2), ("a\nb\"c\n", 2), ("\"a\"b,c", 1)] {
            assert_eq!(parse(text).unwrap_err().line, line, "{text:?}");
        }
    }
}
