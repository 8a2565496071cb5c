//! Property tests of the two readers: no panic on any input, errors of the right kind, and
//! exact round trips of well-formed files. `PROPTEST_CASES=200000 cargo test --release --test
//! fuzz_readers` runs them for minutes (README, development section).

use std::path::Path;

use proptest::prelude::*;
use spinfer::{
    data::{raster_io::parse_raster, Layout, ModelFile},
    Error, Raster,
};

fn layout(transposed: bool) -> Layout {
    if transposed {
        Layout::SamplesBySpins
    } else {
        Layout::SpinsBySamples
    }
}

fn token() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        8 => Just("0"),
        8 => Just("1"),
        2 => Just("-1"),
        2 => Just("+1"),
        1 => Just("2"),
        1 => Just("x"),
        1 => Just("1.0"),
        1 => Just("--1"),
        1 => Just("\u{e9}"),
    ]
}

proptest! {
    #[test]
    fn any_bytes_give_a_raster_or_a_parse_error(
        bytes in proptest::collection::vec(any::<u8>(), 0..3000),
        transposed in any::<bool>(),
    ) {
        match parse_raster(&bytes[..], Path::new("fuzz.txt"), layout(transposed)) {
            Ok(r) => prop_assert!(r.n_spins() > 0 && r.n_samples() > 0),
            Err(e) => prop_assert!(matches!(e, Error::Parse { .. } | Error::Shape(_)), "{e}"),
        }
    }

    #[test]
    fn token_soup_parses_consistently(
        lines in proptest::collection::vec(
            proptest::collection::vec(token(), 0..12), 0..12),
        sep in prop_oneof![Just(" "), Just("\t"), Just("  ")],
        crlf in any::<bool>(),
        transposed in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let text: String = lines.iter().map(|l| l.join(sep) + eol).collect();
        let result = parse_raster(text.as_bytes(), Path::new("soup.txt"), layout(transposed));
        let rows: Vec<&Vec<&str>> = lines.iter().filter(|l| !l.is_empty()).collect();
        let valid_tokens = rows.iter().flat_map(|l| l.iter())
            .all(|t| ["0", "1", "-1", "+1"].contains(t));
        let zero = rows.iter().flat_map(|l| l.iter()).any(|t| *t == "0");
        let minus = rows.iter().flat_map(|l| l.iter()).any(|t| *t == "-1");
        let square = rows.windows(2).all(|w| w[0].len() == w[1].len());
        match result {
            Ok(r) => {
                prop_assert!(valid_tokens && square && !(zero && minus) && !rows.is_empty());
                let (a, b) = (rows.len(), rows[0].len());
                let shape = if transposed { (b, a) } else { (a, b) };
                prop_assert_eq!((r.n_spins(), r.n_samples()), shape);
            }
            Err(Error::Parse { line, .. }) => {
                prop_assert!(!valid_tokens || !square || (zero && minus) || rows.is_empty());
                prop_assert!(line >= 1 && line <= lines.len() + 1);
            }
            Err(e) => prop_assert!(false, "unexpected error kind: {e}"),
        }
    }

    #[test]
    fn written_rasters_read_back_identically(
        n in 1usize..6,
        m in 1usize..300,
        seed in any::<u64>(),
        transposed in any::<bool>(),
    ) {
        let mut r = Raster::zeros(n, m);
        let mut x = seed | 1;
        for i in 0..n {
            for t in 0..m {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                r.set(i, t, x & 3 == 0);
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.txt");
        spinfer::data::write_raster(&path, &r, layout(transposed)).unwrap();
        prop_assert_eq!(spinfer::data::read_raster(&path, layout(transposed)).unwrap(), r);
    }

    #[test]
    fn any_text_gives_a_model_or_an_input_error(text in "\\PC{0,300}") {
        if let Err(e) = ModelFile::parse(&text, Path::new("fuzz.json")) {
            prop_assert!(e.is_bad_input(), "{e}");
        }
    }

    #[test]
    fn structured_models_are_validated(
        n in 0usize..5,
        h_len in 0usize..6,
        rows in proptest::collection::vec(proptest::collection::vec(
            prop_oneof![Just("0".to_string()), Just("0.5".to_string()), Just("-1e3".to_string()),
                        Just("NaN".to_string()), Just("1e999".to_string()), Just("null".to_string())],
            0..6), 0..6),
        kind in prop_oneof![Just("ising"), Just("kinetic"), Just("k-pairwise"), Just("potts")],
    ) {
        let h: Vec<String> = (0..h_len).map(|k| format!("{}", k as f64 * 0.1)).collect();
        let j: Vec<String> = rows.iter().map(|r| format!("[{}]", r.join(","))).collect();
        let text = format!(r#"{{"kind":"{kind}","n":{n},"h":[{}],"J":[{}]}}"#,
            h.join(","), j.join(","));
        match ModelFile::parse(&text, Path::new("m.json")) {
            Ok(file) => {
                prop_assert_eq!(file.h.len(), n);
                prop_assert!(file.j.len() == n && file.j.iter().all(|r| r.len() == n));
                prop_assert!(file.j.iter().flatten().all(|v| v.is_finite()));
                // Conversions either succeed or refuse with a shape error, never panic.
                let converted = match file.kind {
                    spinfer::data::ModelKind::Ising => file.to_ising::<f64>().err(),
                    spinfer::data::ModelKind::Kinetic => file.to_kinetic::<f32>().err(),
                    spinfer::data::ModelKind::KPairwise => file.to_k_pairwise::<f64>().err(),
                };
                if let Some(e) = converted {
                    prop_assert!(matches!(e, Error::Shape(_)), "{e}");
                }
            }
            Err(e) => prop_assert!(e.is_bad_input(), "{e}"),
        }
    }
}
