//! The stopping rule of Monte Carlo learning: stop when the model reproduces the data as
//! well as the data reproduce themselves, judged from fresh samples.

use nalgebra::DVector;

use super::Faithful;
use crate::{
    learn::{Control, Observer, Record},
    model::Energy,
    sample::FreshSamples,
    stats::{Faithfulness, Moments, SplitHalf},
    Ising, Raster, Real, Result,
};

/// Offset of the seed of the fresh samples that confirm a passing check.
const CONFIRM_SEED_OFFSET: u64 = 1_000_003;

/// An observer that checks, every `rule.every` iterations, the parameters the fit would
/// return against the data ([`Faithfulness`]) and reports [`Control::Reached`] once both
/// ratios are at most `rule.target`. Other observers' words pass through; an inactive
/// check only passes them through.
pub struct FaithfulCheck<'a, T: Real> {
    inner: &'a mut dyn Observer<T>,
    rule: Faithful,
    active: bool,
    data: Moments,
    reference: SplitHalf,
    n: usize,
    /// Monte Carlo samples per iteration at the start.
    initial_samples: usize,
    /// The last check: its iteration, the comparison and the fresh samples' moments.
    pub last: Option<(usize, Faithfulness, Moments)>,
    /// A failed check (the fit reports it after the loop).
    pub error: Option<crate::Error>,
}

impl<'a, T: Real> FaithfulCheck<'a, T> {
    /// A check of fits to `data` under `rule` (when `active`), passing records on to
    /// `inner`.
    pub fn new(
        inner: &'a mut dyn Observer<T>,
        rule: Faithful,
        active: bool,
        data: &Raster,
        initial_samples: usize,
    ) -> Self {
        FaithfulCheck {
            inner,
            rule,
            active,
            data: Moments::of(data),
            reference: SplitHalf::of(data),
            n: data.n_spins(),
            initial_samples,
            last: None,
            error: None,
        }
    }

    /// The model with parameters `params` against the data, from fresh samples.
    pub fn measure(&self, params: &DVector<T>) -> Result<(Faithfulness, Moments)> {
        self.measure_certified(params).map(|(f, m, _)| (f, m))
    }

    /// [`FaithfulCheck::measure`], and whether the fresh samples' own diagnostics certify
    /// them (a model whose samplers do not mix cannot be judged faithful).
    pub fn measure_certified(&self, params: &DVector<T>) -> Result<(Faithfulness, Moments, bool)> {
        self.measure_with(params, &self.rule.fresh)
    }

    /// [`FaithfulCheck::measure_certified`] with other fresh samples.
    fn measure_with(
        &self,
        params: &DVector<T>,
        fresh: &FreshSamples,
    ) -> Result<(Faithfulness, Moments, bool)> {
        let mut model = Ising::zeros(self.n);
        model.set_params(params);
        let fresh = fresh.ising_rao_blackwell(&model)?;
        let certified = fresh
            .diagnostics
            .as_ref()
            .is_none_or(|d| d.is_trustworthy());
        Ok((
            Faithfulness::of(&self.data, &fresh.moments, &self.reference)
                .with_noise(fresh.means_noise, fresh.pairs_noise),
            fresh.moments,
            certified,
        ))
    }

    /// The data's split-half differences.
    pub fn reference(&self) -> SplitHalf {
        self.reference
    }
}

impl<T: Real> Observer<T> for FaithfulCheck<'_, T> {
    fn observe(&mut self, record: &Record, params: &DVector<T>) -> Control {
        let control = self.inner.observe(record, params);
        if !self.active || control != Control::Continue || self.error.is_some() {
            return control;
        }
        let k = record.iteration;
        // Only once the model is near the optimum the samples can resolve (the gradient is
        // mostly noise now, or was before: the samples have grown), and only at multiples of
        // `every`: each check costs fresh samples. The schedule depends on the record alone,
        // so a resumed fit checks where an uninterrupted one would.
        let noisy = record.signal_to_noise.is_none_or(|s| s < self.rule.noise)
            || record.samples.is_some_and(|m| m > self.initial_samples);
        if !noisy || !k.is_multiple_of(self.rule.every) {
            return Control::Continue;
        }
        let passes = |(f, _, certified): &(Faithfulness, Moments, bool)| {
            *certified && f.worst_ratio() <= self.rule.target
        };
        let first = match self.measure_certified(params) {
            Ok(r) => r,
            Err(e) => {
                self.error = Some(e);
                return Control::Stop;
            }
        };
        if !passes(&first) {
            self.last = Some((k, first.0, first.1));
            return Control::Continue;
        }
        // A pass is confirmed by fresh samples of another seed before the fit stops: checks
        // every `every` iterations with the same samples' seed would otherwise stop at the
        // first iterate whose noise happens to flatter it (on collective activity the
        // fresh means move together with the balance of the collective states, and one
        // check's ratio varies by a third between seeds).
        let confirm = FreshSamples {
            seed: self.rule.fresh.seed.wrapping_add(CONFIRM_SEED_OFFSET),
            ..self.rule.fresh.clone()
        };
        match self.measure_with(params, &confirm) {
            Ok(second) => {
                let reached = passes(&second);
                // Report the less flattering of the two.
                let worse = if second.0.worst_ratio() > first.0.worst_ratio() {
                    second
                } else {
                    first
                };
                self.last = Some((k, worse.0, worse.1));
                if reached {
                    Control::Reached
                } else {
                    Control::Continue
                }
            }
            Err(e) => {
                self.error = Some(e);
                Control::Stop
            }
        }
    }
}
