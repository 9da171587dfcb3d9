//! The schedule on generated chains, against what it must guarantee: every row of the
//! last member, each row once and in order, reads only rows still held, buffers never past
//! what `held_rows` sized, and a buffer one row short refused.

use std::vec::Vec;

use super::*;

/// A tiny deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

#[test]
fn input_rows_match_the_window_definition() {
    for span in 1..=5 {
        for stride in 1..=3 {
            for pad_top in 0..span {
                for input_height in 1..=9 {
                    let w = RowWindow {
                        span,
                        stride,
                        pad_top,
                        input_height,
                    };
                    let Some(padded) = (input_height + 2 * pad_top).checked_sub(span) else {
                        continue;
                    };
                    let height = padded / stride + 1;
                    for a in 0..height {
                        for b in a + 1..=height {
                            let taps = a * stride..(b - 1) * stride + span;
                            let real: Vec<usize> = taps
                                .clone()
                                .filter_map(|p| p.checked_sub(pad_top))
                                .filter(|&r| r < input_height)
                                .collect();
                            let above = taps.clone().filter(|&p| p < pad_top).count();
                            let below = taps
                                .clone()
                                .filter(|&p| p >= pad_top + input_height)
                                .count();
                            let (rows, up, down) = w.input_rows(&(a..b));
                            assert_eq!((up, down), (above, below), "{w:?} rows {a}..{b}");
                            assert_eq!(rows.len(), real.len(), "{w:?} rows {a}..{b}");
                            if let (Some(&first), Some(&last)) = (real.first(), real.last()) {
                                assert_eq!(rows, first..last + 1);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A chain of `n` members on `height` input rows: windows of random span, stride and
/// padding, some members element-wise over an earlier member of the same height.
fn chain(rng: &mut Rng, n: usize, height: usize) -> Vec<Member> {
    let mut members: Vec<Member> = Vec::new();
    let mut rows = height;
    for m in 0..n {
        let span = [1, 3, 5][rng.below(3)].min(rows + 2);
        let stride = if rows >= 6 { 1 + rng.below(2) } else { 1 };
        let pad_top = rng.below(span / 2 + 1);
        let pad_bottom = rng.below(span / 2 + 1);
        let window = RowWindow {
            span,
            stride,
            pad_top,
            input_height: rows,
        };
        let producer = m.checked_sub(1);
        let residual = (0..m.saturating_sub(1)).find(|&p| members[p].height == rows);
        let (inputs, out) = match residual.filter(|_| rng.below(3) == 0) {
            Some(p) => {
                let each = RowWindow::elementwise(rows);
                let first = MemberInput {
                    producer,
                    window: each,
                };
                let second = MemberInput {
                    producer: Some(p),
                    window: each,
                };
                ([Some(first), Some(second)], rows)
            }
            None => {
                let out = (rows + pad_top + pad_bottom).saturating_sub(span) / stride + 1;
                ([Some(MemberInput { producer, window }), None], out)
            }
        };
        members.push(Member {
            height: out,
            held: 0,
            inputs,
        });
        rows = out;
    }
    members
}

/// Runs the schedule with buffers of `held` rows, checking every event; returns the error.
fn run_checked(members: &[Member], held: &[usize]) -> Result<(), Error> {
    let n = members.len();
    let sized = Described {
        count: n,
        member: |m: usize| Member {
            held: held[m],
            ..members[m]
        },
    };
    let mut done = std::vec![0usize; n];
    let mut state = std::vec![RowState::default(); n];
    schedule(&sized, &mut state, Mode::Running, |event, state| {
        if let Event::Run { member: m, rows } = event {
            assert_eq!(rows.start, done[*m], "rows run in order, each once");
            for input in members[*m].inputs.iter().flatten() {
                let Some(p) = input.producer else { continue };
                let (read, _, _) = input.window.input_rows(rows);
                let kept = usize::from(state[p].base)..done[p];
                assert!(
                    read.is_empty() || (kept.start <= read.start && read.end <= kept.end),
                    "member {m} reads rows {read:?} of member {p}, which holds {kept:?}"
                );
            }
            if held[*m] > 0 {
                assert!(rows.end - usize::from(state[*m].base) <= held[*m]);
            }
            done[*m] = rows.end;
        }
        Ok(())
    })?;
    assert_eq!(
        done[n - 1],
        members[n - 1].height,
        "every row of the last member"
    );
    Ok(())
}

#[test]
fn the_schedule_runs_chains_within_their_buffers() {
    let mut rng = Rng(7);
    for _ in 0..300 {
        let n = 2 + rng.below(7);
        let height = 8 + rng.below(40);
        let members = chain(&mut rng, n, height);
        let mut state = std::vec![RowState::default(); n];
        let mut held = std::vec![0usize; n];
        // Runs of several rows need more rows held, and run within them too.
        let mut batched = std::vec![0usize; n];
        held_rows(n, |m| members[m], 3, &mut state, &mut batched).unwrap();
        held_rows(n, |m| members[m], 1, &mut state, &mut held).unwrap();
        assert!(held.iter().zip(&batched).all(|(one, three)| one <= three));
        run_checked(&members, &batched).unwrap();
        assert_eq!(held[n - 1], 0, "the last member writes a whole tensor");
        let intermediate = &held[..n - 1];
        assert!(intermediate.iter().all(|&h| h > 0));
        run_checked(&members, &held).unwrap();
        // One row fewer anywhere it matters is refused, never run wrong.
        for m in 0..n - 1 {
            if held[m] < 2 {
                continue;
            }
            let mut short = held.clone();
            short[m] -= 1;
            assert!(matches!(
                run_checked(&members, &short),
                Err(Error::BadStream { .. })
            ));
        }
    }
}

#[test]
fn buffers_hold_one_window() {
    // 1x1 → 3x3 stride 1 → 1x1 → 3x3 stride 2 → 1x1, on 20 rows.
    let one = |h| RowWindow::elementwise(h);
    let three = |stride, h| RowWindow {
        span: 3,
        stride,
        pad_top: 1,
        input_height: h,
    };
    let member = |producer: Option<usize>, window: RowWindow, height| Member {
        height,
        held: 0,
        inputs: [Some(MemberInput { producer, window }), None],
    };
    let members = [
        member(None, one(20), 20),
        member(Some(0), three(1, 20), 20),
        member(Some(1), one(20), 20),
        member(Some(2), three(2, 20), 10),
        member(Some(3), one(10), 10),
    ];
    let mut state = [RowState::default(); 5];
    let mut held = [0usize; 5];
    held_rows(5, |m| members[m], 1, &mut state, &mut held).unwrap();
    assert_eq!(held, [3, 1, 3, 1, 0]);
    // Two rows a run: the buffers the first runs fill hold a row more.
    held_rows(5, |m| members[m], 2, &mut state, &mut held).unwrap();
    assert_eq!(held, [4, 2, 4, 1, 0]);
}
