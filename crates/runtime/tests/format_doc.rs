//! `docs/format.md`'s op record table is the op table: the same codes, names, fields in
//! the same order, and record lengths, so the document cannot drift from the code.

use edgebone_runtime::format::OpCode;

/// The rows of the op record table: `(code, name, fields, words)` as written.
fn documented_rows() -> Vec<(String, String, String, String)> {
    let doc = include_str!("../../../docs/format.md");
    let table = doc
        .split("| code | op | fields after the header word | words |")
        .nth(1)
        .expect("docs/format.md has the op record table");
    table
        .lines()
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            let cells: Vec<String> = line
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect();
            assert_eq!(cells.len(), 4, "op table row `{line}`");
            (
                cells[0].clone(),
                cells[1].clone(),
                cells[2].clone(),
                cells[3].clone(),
            )
        })
        .collect()
}

/// The table's row for `code`, written as the document writes it.
fn expected_row(code: OpCode) -> (String, String, String, String) {
    let fields: Vec<String> = code
        .fields()
        .iter()
        .map(|f| f.layout.replace("{}", f.name))
        .collect();
    // The header word, then every fixed field; a list adds a count word and its ids.
    let fixed: usize = 1 + code
        .fields()
        .iter()
        .map(|f| f.words.unwrap_or(1))
        .sum::<usize>();
    let lists = code.fields().iter().any(|f| f.words.is_none());
    let words = if lists {
        format!("{fixed} + count")
    } else {
        fixed.to_string()
    };
    (
        (code as u16).to_string(),
        code.name().to_string(),
        fields.join(", "),
        words,
    )
}

#[test]
fn format_doc_lists_every_op_as_the_op_table() {
    let documented = documented_rows();
    let expected: Vec<_> = OpCode::ALL.iter().map(|&c| expected_row(c)).collect();
    for (doc, table) in documented.iter().zip(&expected) {
        assert_eq!(
            doc, table,
            "docs/format.md op row differs from the op table"
        );
    }
    assert_eq!(
        documented.len(),
        expected.len(),
        "docs/format.md has {} op rows, the op table {}",
        documented.len(),
        expected.len()
    );
}

#[test]
fn op_codes_round_trip_through_the_table() {
    for &code in OpCode::ALL {
        assert_eq!(OpCode::from_u16(code as u16), Some(code));
    }
    let unknown = OpCode::ALL.iter().map(|&c| c as u16).max().unwrap_or(0) + 1;
    assert_eq!(OpCode::from_u16(unknown), None);
    assert_eq!(OpCode::from_u16(0), None);
}
