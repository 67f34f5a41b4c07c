//! The optimizers: which update rule a walker follows, and its parameters
//! with their names, defaults and valid ranges.
//!
//! Each optimizer is one file here (`NAME.rs`: its [`Spec`] and its CPU
//! `step`) and its WGSL twin (`shaders/optim/NAME.wgsl`: `optimizer_step`,
//! spliced into the kernel as a surface's snippet is). Adding one is those
//! two files and one line in the `optimizers!` list below; the command
//! line's flags, `sweep --param`, the header, the JSON and the checks all
//! read the [`Spec`]s, and the tests run every optimizer on the GPU and the
//! CPU.

use std::fmt;

use num_traits::Float;
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Result, invalid, number};
use crate::precision::{Precision, normal_in};
use crate::surface::{Real, Surface};
use crate::walker::WalkerState;

/// Most parameters one optimizer has (the kernel's `params.opt`, a vec4).
pub const MAX_PARAMS: usize = 4;

/// What an optimizer is: its name, its rule, its parameters, its kernel twin.
#[derive(Debug)]
pub struct Spec {
    /// The name `--optimizer` takes and the JSON stores.
    pub name: &'static str,
    /// The update rule, for `--help`.
    pub rule: &'static str,
    /// Its parameters, in the order of `Settings::values` (and the kernel's
    /// `params.opt`).
    pub params: &'static [Param],
    /// The WGSL snippet defining `optimizer_step`.
    pub wgsl: &'static str,
}

/// One parameter of an optimizer.
#[derive(Debug)]
pub struct Param {
    /// Its name (the flag is `--NAME`, the JSON key `NAME`).
    pub name: &'static str,
    /// Other names it is accepted under (`adam --beta` for beta1).
    pub aliases: &'static [&'static str],
    /// What it is, for `--help`.
    pub help: &'static str,
    /// Its value unless given.
    pub default: f64,
    /// The values it may take.
    pub bound: Bound,
}

/// The values a parameter may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    /// A decay factor: 0 <= value < 1.
    Decay,
    /// A guard or scale: finite and above 0.
    Positive,
    /// A step factor: above 0 and at most 1.
    Factor,
}

impl Bound {
    /// Checks `v` for the parameter `name`.
    fn check(self, name: &'static str, v: f64) -> Result<()> {
        let (ok, expected) = match self {
            Bound::Decay => ((0.0..1.0).contains(&v), "expected 0 <= value < 1"),
            Bound::Positive => (v.is_finite() && v > 0.0, "expected a finite value above 0"),
            Bound::Factor => (v.is_finite() && v > 0.0 && v <= 1.0, "expected a factor above 0 and at most 1"),
        };
        if ok { Ok(()) } else { Err(invalid(name, format!("{}: {expected}", number(v)))) }
    }

    /// Refuses a valid `v` that `precision` cannot hold: subnormal, or a
    /// decay that rounds to 1.
    fn check_precision(self, name: &'static str, v: f64, precision: Precision) -> Result<()> {
        if v != 0.0 {
            normal_in(precision, name, v)?;
        }
        if self == Bound::Decay && precision == Precision::F32 && v as f32 >= 1.0 {
            return Err(invalid(name, format!("{}: rounds to 1 in f32; expected a value below 1 - 6e-8", number(v))));
        }
        Ok(())
    }
}

/// An optimizer's parameter values in the engine's float type, in its
/// `Spec::params` order, with the learning rate. f32 twin: `params.lr`
/// and `params.opt` in shaders/descent.wgsl.
#[derive(Clone, Copy, Debug)]
pub struct Settings<T> {
    /// Dimensions of the surface.
    pub dim: usize,
    /// The learning rate.
    pub lr: T,
    /// The parameters, unused slots 0.
    pub values: [T; MAX_PARAMS],
}

/// The registry: one line per optimizer, `Variant => module`. It writes the
/// enum, `ALL`, the spec lookup and the step dispatch.
macro_rules! optimizers {
    ($($variant:ident => $module:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// The update rule.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Optimizer {
            $(
                #[doc = concat!("See [`", stringify!($module), "`].")]
                $variant,
            )*
        }

        impl Optimizer {
            /// Every optimizer, in registry order.
            pub const ALL: &'static [Optimizer] = &[$(Optimizer::$variant),*];

            /// What this optimizer is.
            pub fn spec(self) -> &'static Spec {
                match self {
                    $(Optimizer::$variant => &$module::SPEC,)*
                }
            }

            /// One update of this optimizer: moments, then position. Twin of
            /// `optimizer_step` in its WGSL snippet.
            #[inline(always)]
            pub fn step<T: Float + Real>(
                self,
                surface: &Surface,
                w: &mut WalkerState<T>,
                g: &[T],
                s: &Settings<T>,
            ) {
                match self {
                    $(Optimizer::$variant => $module::step(surface, w, g, s),)*
                }
            }
        }
    };
}

optimizers! {
    Gd => gd,
    Momentum => momentum,
    Nesterov => nesterov,
    Rmsprop => rmsprop,
    Adam => adam,
    Newton => newton,
    Adagrad => adagrad,
}

impl Optimizer {
    /// The name `--optimizer` takes.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The optimizer called `name` (any case).
    pub fn from_name(name: &str) -> Option<Optimizer> {
        Optimizer::ALL.iter().copied().find(|o| o.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Whether this optimizer has a parameter called `name` (or aliased so).
    pub fn uses(self, name: &str) -> bool {
        self.param(name).is_some()
    }

    /// The parameter `name` (or an alias) stands for, if this optimizer has it.
    fn param(self, name: &str) -> Option<(usize, &'static Param)> {
        self.spec().params.iter().enumerate().find(|(_, p)| p.name == name || p.aliases.contains(&name))
    }

    /// The values `given` sets, over the defaults, in `Spec::params` order;
    /// names this optimizer does not use are left to `check`.
    pub fn values(self, given: &OptimizerParams) -> [f64; MAX_PARAMS] {
        let mut out = [0.0; MAX_PARAMS];
        for (k, p) in self.spec().params.iter().enumerate() {
            out[k] = p.default;
        }
        for &(name, v) in &given.0 {
            if let Some((k, _)) = self.param(name) {
                out[k] = v;
            }
        }
        out
    }

    /// Every parameter under its own name with its value: what the JSON
    /// stores and `describe` prints.
    pub fn resolved(self, given: &OptimizerParams) -> OptimizerParams {
        let values = self.values(given);
        OptimizerParams(self.spec().params.iter().zip(values).map(|(p, v)| (p.name, v)).collect())
    }

    /// "beta 0.9", "rho 0.9, eps 1e-8", or "" for plain gradient descent:
    /// what the header shows.
    pub fn describe(self, given: &OptimizerParams) -> String {
        let shown: Vec<String> = self.resolved(given).0.iter().map(|(name, v)| format!("{name} {v}")).collect();
        shown.join(", ")
    }

    /// Checks `given` against this optimizer: each name one it uses (once),
    /// each value in its range and representable in `precision`.
    pub(crate) fn check(self, given: &OptimizerParams, precision: Precision) -> Result<()> {
        let mut seen: [Option<&'static str>; MAX_PARAMS] = [None; MAX_PARAMS];
        for &(name, v) in &given.0 {
            let Some((k, _)) = self.param(name) else {
                return Err(invalid(name, format!("{}: optimizer {} does not use it", number(v), self.name())));
            };
            if let Some(first) = seen[k] {
                return Err(invalid(name, format!("{}: the same parameter as {first}; give one", number(v))));
            }
            seen[k] = Some(name);
        }
        let values = self.values(given);
        for (k, p) in self.spec().params.iter().enumerate() {
            // Errors name the parameter as it was given.
            let name = seen[k].unwrap_or(p.name);
            p.bound.check(name, values[k])?;
            p.bound.check_precision(name, values[k], precision)?;
        }
        Ok(())
    }
}

impl fmt::Display for Optimizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Optimizer {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Optimizer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Optimizer::ALL.iter().copied().find(|o| o.name() == name).ok_or_else(|| {
            let names: Vec<&str> = Optimizer::ALL.iter().map(|o| o.name()).collect();
            serde::de::Error::custom(format!("unknown optimizer {name:?}: expected one of {}", names.join(", ")))
        })
    }
}

impl clap::ValueEnum for Optimizer {
    fn value_variants<'a>() -> &'a [Self] {
        Optimizer::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()).help(self.spec().rule))
    }
}

/// Every name a parameter of some optimizer is known by (names and
/// aliases), each once, in registry order: the command line's flags.
pub fn param_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for o in Optimizer::ALL {
        for p in o.spec().params {
            for name in std::iter::once(p.name).chain(p.aliases.iter().copied()) {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
    }
    names
}

/// What the parameter `name` is to each optimizer that takes it, for
/// `--help`: "momentum, nesterov: velocity decay [default: 0.9]; adam: same as --beta1".
pub fn param_help(name: &str) -> String {
    let mut lines: Vec<(String, Vec<&'static str>)> = Vec::new();
    for &o in Optimizer::ALL {
        let Some((_, p)) = o.param(name) else { continue };
        let text = if p.name == name {
            format!("{} [default: {}]", p.help, number(p.default))
        } else {
            format!("same as --{}", p.name)
        };
        match lines.iter_mut().find(|(t, _)| *t == text) {
            Some((_, users)) => users.push(o.name()),
            None => lines.push((text, vec![o.name()])),
        }
    }
    let parts: Vec<String> = lines.iter().map(|(text, users)| format!("{}: {text}", users.join(", "))).collect();
    parts.join("; ")
}

/// Parameter values a caller sets by name; the rest take the optimizer's
/// defaults. The JSON writes every parameter of the run's optimizer (see
/// `Optimizer::resolved`) as `{"name": value, ...}`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OptimizerParams(Vec<(&'static str, f64)>);

impl OptimizerParams {
    /// No values set: every parameter at its default.
    pub fn new() -> Self {
        OptimizerParams(Vec::new())
    }

    /// Sets `name` (a parameter's name or alias: see `param_names`) to `v`,
    /// replacing an earlier value under the same name. Whether the
    /// optimizer uses it is checked with the problem.
    pub fn set(&mut self, name: &str, v: f64) -> Result<()> {
        let Some(known) = param_names().into_iter().find(|&n| n == name) else {
            return Err(invalid(
                "optimizer_params",
                format!("unknown parameter {name:?}: expected one of {}", param_names().join(", ")),
            ));
        };
        match self.0.iter_mut().find(|(n, _)| *n == known) {
            Some(entry) => entry.1 = v,
            None => self.0.push((known, v)),
        }
        Ok(())
    }

    /// `set`, for building: `OptimizerParams::new().with("beta", 0.8)?`.
    pub fn with(mut self, name: &str, v: f64) -> Result<Self> {
        self.set(name, v)?;
        Ok(self)
    }

    /// The value set under `name`, if any.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.0.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
    }

    /// The values set, in the order they were.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        self.0.iter().copied()
    }
}

impl Serialize for OptimizerParams {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, v) in &self.0 {
            map.serialize_entry(name, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for OptimizerParams {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = OptimizerParams;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of parameter names to numbers")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<OptimizerParams, A::Error> {
                let mut out = OptimizerParams::new();
                while let Some((name, v)) = map.next_entry::<String, f64>()? {
                    out.set(&name, v).map_err(serde::de::Error::custom)?;
                }
                Ok(out)
            }
        }
        d.deserialize_map(Entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each snippet defines the step and reads its parameters from
    /// `params.opt` in its spec's order, under the spec's names.
    #[test]
    fn each_wgsl_twin_defines_the_step_and_names_its_parameters_in_order() {
        for &o in Optimizer::ALL {
            let spec = o.spec();
            assert!(spec.wgsl.contains("fn optimizer_step(w: ptr<function, Walker>, g: Point)"), "{}", spec.name);
            for (k, p) in spec.params.iter().enumerate() {
                let line = format!("let {} = params.opt[{k}];", p.name);
                assert!(spec.wgsl.contains(&line), "{}: {line}", spec.name);
            }
            assert!(!spec.wgsl.contains(&format!("params.opt[{}]", spec.params.len())), "{}", spec.name);
            assert!(spec.params.len() <= MAX_PARAMS);
        }
    }

    #[test]
    fn names_are_unique_and_defaults_valid() {
        for (i, &a) in Optimizer::ALL.iter().enumerate() {
            assert!(Optimizer::ALL[i + 1..].iter().all(|&b| a.name() != b.name()));
            assert_eq!(Optimizer::from_name(&a.name().to_uppercase()), Some(a));
            for precision in [Precision::F32, Precision::F64] {
                a.check(&OptimizerParams::new(), precision).unwrap();
            }
        }
    }

    #[test]
    fn unused_and_doubled_parameters_are_refused_by_name() {
        let e = Optimizer::Gd.check(&OptimizerParams::new().with("damping", 0.5).unwrap(), Precision::F32);
        assert_eq!(e.unwrap_err().to_string(), "damping 0.5: optimizer gd does not use it");
        let both = OptimizerParams::new().with("beta", 0.8).unwrap().with("beta1", 0.7).unwrap();
        let e = Optimizer::Adam.check(&both, Precision::F32).unwrap_err();
        assert_eq!(e.to_string(), "beta1 0.7: the same parameter as beta; give one");
        assert!(OptimizerParams::new().set("gamma", 1.0).is_err());
    }

    /// The JSON names RMSProp's decay `rho`, and lists only the parameters
    /// the optimizer uses.
    #[test]
    fn the_json_holds_the_optimizers_own_parameters() {
        let json = |o: Optimizer, given: OptimizerParams| serde_json::to_string(&o.resolved(&given)).unwrap();
        assert_eq!(json(Optimizer::Rmsprop, OptimizerParams::new()), r#"{"rho":0.9,"eps":1e-8}"#);
        assert_eq!(json(Optimizer::Gd, OptimizerParams::new()), "{}");
        let adam = OptimizerParams::new().with("beta", 0.8).unwrap();
        assert_eq!(json(Optimizer::Adam, adam), r#"{"beta1":0.8,"beta2":0.999,"eps":1e-8}"#);
        let back: OptimizerParams = serde_json::from_str(r#"{"rho":0.5,"eps":1e-6}"#).unwrap();
        assert_eq!(Optimizer::Rmsprop.values(&back), [0.5, 1e-6, 0.0, 0.0]);
    }

    #[test]
    fn help_names_each_optimizer_that_takes_a_flag() {
        assert_eq!(param_help("beta"), "momentum, nesterov: velocity decay [default: 0.9]; adam: same as --beta1");
        assert_eq!(param_names(), ["beta", "beta1", "rho", "eps", "beta2", "damping"]);
    }
}
