//! The optimizers: which update rule a walker follows, and its parameters
//! with their defaults and valid ranges.

use serde::{Deserialize, Serialize};

use crate::error::{Result, invalid, number};
use crate::precision::{Precision, normal_in};

/// The update rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
#[repr(u32)]
pub enum Optimizer {
    /// Plain gradient descent: p <- p - lr g.
    Gd = 0,
    /// Heavy ball: m <- beta m + g; p <- p - lr m.
    Momentum = 1,
    /// Nesterov (PyTorch's form): m <- beta m + g; p <- p - lr (g + beta m).
    Nesterov = 2,
    /// RMSProp: v <- rho v + (1-rho) g^2; p <- p - lr g / (sqrt(v) + eps).
    Rmsprop = 3,
    /// Adam, bias-corrected (Kingma & Ba 2015).
    Adam = 4,
    /// Damped Newton: p <- p - damping H^-1 g where H is positive definite, else a gradient step.
    Newton = 5,
}

impl Optimizer {
    /// Every optimizer.
    pub const ALL: [Optimizer; 6] = [
        Optimizer::Gd,
        Optimizer::Momentum,
        Optimizer::Nesterov,
        Optimizer::Rmsprop,
        Optimizer::Adam,
        Optimizer::Newton,
    ];

    /// The name `--optimizer` takes.
    pub fn name(self) -> &'static str {
        match self {
            Optimizer::Gd => "gd",
            Optimizer::Momentum => "momentum",
            Optimizer::Nesterov => "nesterov",
            Optimizer::Rmsprop => "rmsprop",
            Optimizer::Adam => "adam",
            Optimizer::Newton => "newton",
        }
    }
}

/// The optimizers' parameters (each uses the ones its formula names).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerParams {
    /// Momentum's and Nesterov's beta, Adam's beta1.
    pub beta1: f64,
    /// RMSProp's rho, Adam's beta2.
    pub beta2: f64,
    /// The denominator's guard (RMSProp, Adam).
    pub eps: f64,
    /// Newton's step factor.
    pub damping: f64,
}

impl OptimizerParams {
    /// The usual defaults (PyTorch's, and rho 0.9 as in Hinton's lecture).
    pub fn defaults(optimizer: Optimizer) -> Self {
        let beta2 = if optimizer == Optimizer::Adam { 0.999 } else { 0.9 };
        OptimizerParams { beta1: 0.9, beta2, eps: 1e-8, damping: 0.5 }
    }

    /// "beta 0.9", "rho 0.9, eps 1e-8", ...: what the header shows.
    pub fn describe(&self, optimizer: Optimizer) -> String {
        match optimizer {
            Optimizer::Gd => String::new(),
            Optimizer::Momentum | Optimizer::Nesterov => format!("beta {}", self.beta1),
            Optimizer::Rmsprop => format!("rho {}, eps {}", self.beta2, self.eps),
            Optimizer::Adam => format!("beta1 {}, beta2 {}, eps {}", self.beta1, self.beta2, self.eps),
            Optimizer::Newton => format!("damping {}", self.damping),
        }
    }

    /// The name `optimizer` gives the second moment's factor: RMSProp's
    /// `rho`, Adam's `beta2`.
    fn second_name(optimizer: Optimizer) -> &'static str {
        if optimizer == Optimizer::Rmsprop { "rho" } else { "beta2" }
    }

    /// Checks the values, naming each as `optimizer` does.
    pub(crate) fn validate(&self, optimizer: Optimizer) -> Result<()> {
        for (field, v) in [("beta", self.beta1), (Self::second_name(optimizer), self.beta2)] {
            if !(0.0..1.0).contains(&v) {
                return Err(invalid(field, format!("{}: expected 0 <= value < 1", number(v))));
            }
        }
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(invalid("eps", format!("{}: expected a finite value above 0", number(self.eps))));
        }
        if !(self.damping.is_finite() && self.damping > 0.0 && self.damping <= 1.0) {
            return Err(invalid(
                "damping",
                format!("{}: expected a factor above 0 and at most 1", number(self.damping)),
            ));
        }
        Ok(())
    }

    /// Refuses values `precision` cannot hold: subnormal or rounding to 1.
    pub(crate) fn check_precision(&self, optimizer: Optimizer, precision: Precision) -> Result<()> {
        for (field, v) in [("beta", self.beta1), (Self::second_name(optimizer), self.beta2)] {
            if v != 0.0 {
                normal_in(precision, field, v)?;
            }
            if precision == Precision::F32 && v as f32 >= 1.0 {
                return Err(invalid(
                    field,
                    format!("{}: rounds to 1 in f32; expected a value below 1 - 6e-8", number(v)),
                ));
            }
        }
        normal_in(precision, "eps", self.eps)?;
        normal_in(precision, "damping", self.damping)
    }
}
