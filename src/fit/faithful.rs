//! The stopping rule of Monte Carlo learning: stop when the model reproduces the data as
//! well as the data reproduce themselves, judged from fresh samples.

use std::time::Instant;

use nalgebra::DVector;

use super::Faithful;
use crate::{
    learn::{Control, Observer, Phase, Record},
    model::FlipEnergy,
    sample::FreshSamples,
    stats::{Faithfulness, Moments, SplitHalf},
    Ising, Raster, Real, Result,
};

/// Offset of the seed of the fresh samples that confirm a passing check.
const CONFIRM_SEED_OFFSET: u64 = 1_000_003;

/// An observer that checks, every `rule.every` iterations, the parameters the fit would
/// return against the data ([`Faithfulness`]) and reports [`Control::Reached`] once both
/// ratios are at most `rule.target`. Other observers' words pass through; an inactive
/// check only passes them through. The model checked is `M` (the pairwise model unless
/// named), rebuilt from each set of parameters.
pub struct FaithfulCheck<'a, T: Real, M = Ising<T>> {
    inner: &'a mut dyn Observer<T>,
    template: M,
    rule: Faithful,
    active: bool,
    data: Moments,
    reference: SplitHalf,
    /// Monte Carlo samples per iteration at the start.
    initial_samples: usize,
    /// The last check: its iteration, the comparison and the fresh samples' moments.
    pub last: Option<(usize, Faithfulness, Moments)>,
    /// A failed check (the fit reports it after the loop).
    pub error: Option<crate::Error>,
    /// Seconds spent in checks during learning.
    pub seconds: f64,
    /// Fresh-sample measurements made during learning (a confirmed pass makes two).
    pub measured: usize,
    /// The data, when P(K) is judged too ([`FaithfulCheck::judging_activity`]).
    activity_data: Option<Raster>,
}

impl<'a, T: Real, M: FlipEnergy<T> + Clone> FaithfulCheck<'a, T, M> {
    /// A check of fits of `template`'s model to `data` under `rule` (when `active`), passing
    /// records on to `inner`.
    pub fn new(
        inner: &'a mut dyn Observer<T>,
        rule: Faithful,
        active: bool,
        data: &Raster,
        initial_samples: usize,
        template: M,
    ) -> Self {
        let rule = Faithful {
            fresh: rule.fresh.clone().for_data(data),
            ..rule
        };
        FaithfulCheck {
            inner,
            template,
            rule,
            active,
            data: Moments::of(data),
            reference: SplitHalf::of(data),
            initial_samples,
            last: None,
            error: None,
            seconds: 0.0,
            measured: 0,
            activity_data: None,
        }
    }

    /// This check also requiring P(K), the distribution of the number of active cells
    /// per sample, within the target of its split-half difference (models with a
    /// potential on K are fitted to it).
    pub fn judging_activity(mut self, data: &Raster, on: bool) -> Self {
        self.activity_data = on.then(|| data.clone());
        self
    }

    /// The final comparison of the model with parameters `params` with the data, announced
    /// to the observer as [`Phase::FinalComparison`]; `None` when the observer stops the fit
    /// there (an interrupt: the fit ends without it). Also returns its seconds.
    pub fn final_comparison(
        &mut self,
        params: &DVector<T>,
    ) -> Result<(Option<(Faithfulness, Moments)>, f64)> {
        let phase = Phase::FinalComparison {
            samples: self.rule.fresh.samples,
        };
        if self.inner.phase(phase) == Control::Stop {
            return Ok((None, 0.0));
        }
        let started = Instant::now();
        let measured = self.measure(params)?;
        Ok((Some(measured), started.elapsed().as_secs_f64()))
    }

    /// [`FaithfulCheck::measure_with`], timed and counted as a check during learning.
    fn timed_check(
        &mut self,
        params: &DVector<T>,
        fresh: &FreshSamples,
    ) -> Result<(Faithfulness, Moments, bool)> {
        let started = Instant::now();
        let result = self.measure_with(params, fresh);
        self.seconds += started.elapsed().as_secs_f64();
        self.measured += 1;
        result
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
        let mut model = self.template.clone();
        model.set_params(params);
        let fresh = fresh.ising_rao_blackwell(&model)?;
        let certified = fresh
            .diagnostics
            .as_ref()
            .is_none_or(|d| d.is_trustworthy());
        let mut faithfulness = Faithfulness::of(&self.data, &fresh.moments, &self.reference)
            .with_noise(fresh.means_noise, fresh.pairs_noise);
        if let Some(data) = &self.activity_data {
            faithfulness = faithfulness.with_activity(data, &fresh.samples);
        }
        Ok((faithfulness, fresh.moments, certified))
    }

    /// The data's split-half differences.
    pub fn reference(&self) -> SplitHalf {
        self.reference
    }
}

impl<T: Real, M: FlipEnergy<T> + Clone> Observer<T> for FaithfulCheck<'_, T, M> {
    fn phase(&mut self, phase: Phase) -> Control {
        self.inner.phase(phase)
    }

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
        let phase = Phase::FreshCheck {
            samples: self.rule.fresh.samples,
        };
        if self.inner.phase(phase) == Control::Stop {
            return Control::Stop;
        }
        let control = self.check(k, params);
        match (&self.last, control) {
            // The check is over: a stop asked for during it ends the fit now.
            (Some((_, f, _)), Control::Continue) => self.inner.phase(Phase::Checked {
                means: f.means_ratio,
                pairs: f.pairs_ratio,
                activity: f.activity_ratio.filter(|_| self.activity_data.is_some()),
            }),
            _ => control,
        }
    }
}

impl<T: Real, M: FlipEnergy<T> + Clone> FaithfulCheck<'_, T, M> {
    /// The check at iteration `k`: a pass is confirmed by a second measurement.
    fn check(&mut self, k: usize, params: &DVector<T>) -> Control {
        let target = self.rule.target;
        let judged = self.activity_data.is_some();
        let worst = move |f: &Faithfulness| match (judged, f.activity_ratio) {
            (true, Some(a)) => f.worst_ratio().max(a),
            _ => f.worst_ratio(),
        };
        let passes =
            |(f, _, certified): &(Faithfulness, Moments, bool)| *certified && worst(f) <= target;
        let fresh = self.rule.fresh.clone();
        let first = match self.timed_check(params, &fresh) {
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
        match self.timed_check(params, &confirm) {
            Ok(second) => {
                let reached = passes(&second);
                // Report the less flattering of the two.
                let worse = if worst(&second.0) > worst(&first.0) {
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
