//! The thermodynamics of a model from one replica-exchange ladder, against exact values:
//! enumeration of a 12-spin glassy model, and the Curie–Weiss model at N = 100 whose
//! partition function is a sum over the number of up spins. At N = 100 with J N = 1 the
//! model sits at its critical point, T = 1, as the retina's pairwise models do.
//!
//! Every estimate must lie within 5 of its standard errors of the exact value, and the
//! standard errors must be small enough for that to mean something.

use nalgebra::{DMatrix, DVector};
use spinfer::{
    model::FlipEnergy,
    thermo::{thermodynamics, ThermoSettings},
    Energy, Ising,
};

/// A 12-spin model with fields and frustrated couplings from a fixed linear
/// congruential sequence (no dependence on a generator crate's stream).
fn glassy(n: usize) -> Ising<f64> {
    glassy_scaled(n, 1.2)
}

/// [`glassy`] with couplings uniform in ±`scale`/2.
fn glassy_scaled(n: usize, scale: f64) -> Ising<f64> {
    let mut state = 12345u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let h = DVector::from_fn(n, |_, _| 0.6 * next() - 0.2);
    let mut j = DMatrix::zeros(n, n);
    for a in 0..n {
        for b in a + 1..n {
            let v = scale * next();
            j[(a, b)] = v;
            j[(b, a)] = v;
        }
    }
    Ising::new(h, j).unwrap()
}

/// Exact (log Z, ⟨E⟩, Var E) of `model` at inverse temperature β, by enumeration.
fn enumerate(model: &Ising<f64>, beta: f64) -> (f64, f64, f64) {
    let n = model.n_spins();
    let energies: Vec<f64> = (0u32..1 << n)
        .map(|code| {
            let s: Vec<i8> = (0..n)
                .map(|i| if code >> i & 1 == 1 { 1 } else { -1 })
                .collect();
            model.energy(&s)
        })
        .collect();
    moments(energies.iter().map(|&e| (0.0, e)), beta)
}

/// (log Z, ⟨E⟩, Var E) at β from (log multiplicity, energy) pairs.
fn moments(states: impl Iterator<Item = (f64, f64)> + Clone, beta: f64) -> (f64, f64, f64) {
    let top = states
        .clone()
        .map(|(g, e)| g - beta * e)
        .fold(f64::NEG_INFINITY, f64::max);
    let (mut z, mut m1, mut m2) = (0.0, 0.0, 0.0);
    for (g, e) in states {
        let w = (g - beta * e - top).exp();
        z += w;
        m1 += w * e;
        m2 += w * e * e;
    }
    let (m1, m2) = (m1 / z, m2 / z);
    (top + z.ln(), m1, m2 - m1 * m1)
}

/// The Curie–Weiss energy levels as (log C(N, k), E(k)) with h_i = h, J_ij = j.
fn curie_weiss_levels(n: usize, h: f64, j: f64) -> Vec<(f64, f64)> {
    let ln_fact = |m: usize| (1..=m).map(|v| (v as f64).ln()).sum::<f64>();
    (0..=n)
        .map(|k| {
            let m = 2.0 * k as f64 - n as f64;
            let log_c = ln_fact(n) - ln_fact(k) - ln_fact(n - k);
            (log_c, -(h * m + j * (m * m - n as f64) / 2.0))
        })
        .collect()
}

fn curie_weiss(n: usize, h: f64, j: f64) -> Ising<f64> {
    let mut couplings = DMatrix::from_element(n, n, j);
    couplings.fill_diagonal(0.0);
    Ising::new(DVector::from_element(n, h), couplings).unwrap()
}

/// Checks every level's C(T) and log Z, and the entropy at T = 1, against `exact(β)`;
/// log Z at T = 1 also within `log_z_tolerance` nats.
fn check(
    label: &str,
    model: &Ising<f64>,
    log_z_tolerance: f64,
    exact: impl Fn(f64) -> (f64, f64, f64),
) {
    let n = model.n_spins() as f64;
    let settings = ThermoSettings::default();
    let thermo = thermodynamics(model, &settings).unwrap();
    assert!(
        thermo.levels.len() >= 4,
        "{label}: {} levels",
        thermo.levels.len()
    );
    let mut worst = 0.0f64;
    for level in &thermo.levels {
        let beta = 1.0 / level.temperature;
        let (log_z, _, var) = exact(beta);
        let c = beta * beta * var / n;
        let z_dev = (level.log_z.value - log_z).abs() / level.log_z.std_error.max(1e-3);
        let c_dev = (level.specific_heat.value - c).abs() / level.specific_heat.std_error;
        assert!(
            z_dev < 5.0 && c_dev < 5.0,
            "{label}: T = {:.3}: log Z {:.4} ± {:.4} vs {log_z:.4}, C {:.4} ± {:.4} vs {c:.4}",
            level.temperature,
            level.log_z.value,
            level.log_z.std_error,
            level.specific_heat.value,
            level.specific_heat.std_error,
        );
        // The errors are small enough for the comparison to bite.
        assert!(level.log_z.std_error < 0.05, "{label}: {level:?}");
        assert!(
            level.specific_heat.std_error < 0.1 * c.max(0.05),
            "{label}: {level:?}"
        );
        worst = worst.max(z_dev).max(c_dev);
    }
    let (log_z, mean_e, _) = exact(1.0);
    assert!(
        (thermo.log_z.value - log_z).abs() < log_z_tolerance,
        "{label}: log Z {:.5} vs {log_z:.5}",
        thermo.log_z.value
    );
    let entropy = log_z + mean_e;
    let s = thermo.entropy;
    assert!(
        (s.value - entropy).abs() < 5.0 * s.std_error.max(1e-3),
        "{label}: S {:.4} ± {:.4} vs {entropy:.4}",
        s.value,
        s.std_error
    );
    assert!(thermo.at_unit_temperature().is_some());
    let d = thermo
        .diagnostics
        .as_ref()
        .expect("a ladder has diagnostics");
    assert!(d.is_trustworthy(), "{label}: {:?}", d.warning());
    eprintln!(
        "{label}: {} levels, worst deviation {worst:.2} SE, S = {:.4} ± {:.4} (exact {entropy:.4})",
        thermo.levels.len(),
        s.value,
        s.std_error
    );
}

#[test]
fn glassy_model_matches_enumeration() {
    let model = glassy(12);
    check("glassy N = 12", &model, 0.01, |beta| {
        enumerate(&model, beta)
    });
}

#[test]
fn critical_curie_weiss_matches_the_exact_sum() {
    let (n, h, j) = (100, 0.01, 1.0 / 100.0);
    let model = curie_weiss(n, h, j);
    let levels = curie_weiss_levels(n, h, j);
    check("Curie–Weiss N = 100", &model, 0.05, |beta| {
        moments(levels.iter().copied(), beta)
    });
    // The specific heat peaks within the sweep near the critical temperature T = J N = 1.
    let thermo = thermodynamics(&model, &ThermoSettings::default()).unwrap();
    let peak = thermo
        .levels
        .iter()
        .max_by(|a, b| a.specific_heat.value.total_cmp(&b.specific_heat.value))
        .unwrap();
    assert!(
        (0.7..1.3).contains(&peak.temperature),
        "peak at T = {}",
        peak.temperature
    );
}

/// At N = 160 (no exact value) the ladder's log Z agrees with annealed importance sampling
/// from the independent model within two combined standard errors.
#[test]
fn log_z_at_n160_agrees_with_ais() {
    let n = 160;
    let mut model = glassy_scaled(n, 0.4);
    for i in 0..n {
        model.params_mut()[i] -= 1.0; // sparse activity, as in a retina
    }
    let thermo = thermodynamics(&model, &ThermoSettings::default()).unwrap();
    let fields: Vec<f64> = model.fields().iter().copied().collect();
    let ais = spinfer::sample::log_partition(&model, &fields, &Default::default()).unwrap();
    let combined = (thermo.log_z.std_error.powi(2) + ais.std_error.powi(2)).sqrt();
    eprintln!(
        "N = 160: ladder log Z {:.4} ± {:.4}, AIS {:.4} ± {:.4}",
        thermo.log_z.value, thermo.log_z.std_error, ais.value, ais.std_error
    );
    assert!(
        (thermo.log_z.value - ais.value).abs() < 2.0 * combined,
        "ladder {:?} vs AIS {ais:?}",
        thermo.log_z
    );
    assert!(combined < 0.1, "{combined}");
}
