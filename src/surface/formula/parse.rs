//! The tokenizer and recursive-descent parser: formula text into the graph.

use super::graph::{Func, Func2, Graph, Id, Node};
use super::{MAX_DEPTH, MAX_GRAPH_NODES, MAX_VARIABLES, Params, ParseError, too_large_message};

/// The letters that name variables 0, 1 and 2: x and y make a formula 2-D,
/// z 3-D (x1, x2, ... name any of `MAX_VARIABLES`).
const PLAIN_NAMES: [&str; 3] = ["x", "y", "z"];

/// Which variable names a formula used.
#[derive(Default)]
pub(super) struct Variables {
    /// 1 + the highest of x, y, z seen (0 for none).
    plain: usize,
    /// Highest k of an xk seen.
    indexed: usize,
}

impl Variables {
    pub(super) fn dim(&self) -> usize {
        self.indexed.max(self.plain)
    }
    /// x alone is still 2-D (the plane's names come as a pair); z is 3-D.
    pub(super) fn implied_min(&self) -> usize {
        if self.plain > 0 { self.plain.max(2) } else { 1 }
    }
}

/// Recursive descent over the grammar
///   sum     = product (("+" | "-") product)*
///   product = unary (("*" | "/") unary)*
///   unary   = ("-" | "+")* power
///   power   = atom (("^" | "**") unary)? (right-associative; -x^2 = -(x^2))
///   atom    = number | name | name "(" sum ")" | name "(" sum "," sum ")"
///           | "(" sum ")"
/// It recurses only into "(", a function's argument and an exponent, at
/// most `MAX_DEPTH` deep; and stops once the graph holds `MAX_GRAPH_NODES`.
pub(super) struct Parser<'a> {
    chars: Vec<char>,
    at: usize,
    graph: &'a mut Graph,
    vars: Variables,
    depth: usize,
    params: &'a Params,
    /// The parameters the formula named.
    used: std::collections::BTreeSet<&'a str>,
}

/// Whether `name` is one the language gives a meaning (a variable, a
/// constant or a function), so not free for a parameter.
fn reserved(name: &str) -> bool {
    PLAIN_NAMES.contains(&name)
        || ["pi", "e", "pow"].contains(&name)
        || Func::NAMED.iter().any(|(n, _)| *n == name)
        || Func2::NAMED.iter().any(|(n, _)| *n == name)
        || name.strip_prefix('x').is_some_and(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_digit()))
}

impl<'a> Parser<'a> {
    pub(super) fn new(source: &str, graph: &'a mut Graph, params: &'a Params) -> Self {
        Parser {
            chars: source.chars().collect(),
            at: 0,
            graph,
            vars: Variables::default(),
            depth: 0,
            params,
            used: Default::default(),
        }
    }

    /// Runs `inner` one nesting level down (the "(", function or "^" at
    /// column `at`), or refuses past `MAX_DEPTH`.
    fn nested<T>(
        &mut self,
        at: usize,
        inner: impl FnOnce(&mut Self) -> Result<T, ParseError>,
    ) -> Result<T, ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(ParseError {
                column: at + 1,
                message: format!("nested too deep: at most {MAX_DEPTH} levels of parentheses, functions and powers"),
            });
        }
        self.depth += 1;
        let out = inner(self);
        self.depth -= 1;
        out
    }

    /// `id`, or the size error once the graph is full.
    fn checked(&self, id: Id) -> Result<Id, ParseError> {
        if self.graph.nodes.len() > MAX_GRAPH_NODES {
            return Err(self.error(too_large_message()));
        }
        Ok(id)
    }

    pub(super) fn parse(mut self) -> Result<(Id, Variables), ParseError> {
        let whole = |message: String| ParseError { column: 1, message };
        for name in self.params.keys() {
            let word = name.chars().next().is_some_and(char::is_alphabetic)
                && name.chars().all(|c| c.is_alphanumeric() || c == '_');
            if !word {
                return Err(whole(format!(
                    "--set {}: a parameter's name is a letter then letters, digits or _",
                    crate::error::quoted(name)
                )));
            }
            if reserved(name) {
                return Err(whole(format!(
                    "--set {}: {name} is a variable, a constant or a function of the formula language",
                    crate::error::quoted(name)
                )));
            }
        }
        self.skip_space();
        if self.at == self.chars.len() {
            return Err(self.error("expected a formula, found nothing"));
        }
        let root = self.sum()?;
        self.skip_space();
        if self.at < self.chars.len() {
            return Err(self.expected("an operator (+ - * / ^) or the end"));
        }
        if self.vars.plain > 0 && self.vars.indexed > 0 {
            return Err(ParseError { column: 1, message: "use x, y, z or x1, x2, ..., not both".into() });
        }
        if let Some(unused) = self.params.keys().find(|n| !self.used.contains(n.as_str())) {
            return Err(whole(format!("--set {}: the formula has no {unused}", crate::error::quoted(unused))));
        }
        Ok((root, self.vars))
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError { column: self.at + 1, message: message.into() }
    }

    /// "expected WHAT, found X" at the current column.
    fn expected(&self, what: &str) -> ParseError {
        let found = match self.chars.get(self.at) {
            Some(c) => format!("{:?}", c.to_string()),
            None => "the end".to_string(),
        };
        self.error(format!("expected {what}, found {found}"))
    }

    fn skip_space(&mut self) {
        while self.chars.get(self.at).is_some_and(|c| c.is_whitespace()) {
            self.at += 1;
        }
    }

    /// Consumes `c` (after spaces) if it is next.
    fn eat(&mut self, c: char) -> bool {
        self.skip_space();
        if self.chars.get(self.at) == Some(&c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn sum(&mut self) -> Result<Id, ParseError> {
        let mut acc = self.product()?;
        loop {
            if self.eat('+') {
                let r = self.product()?;
                let id = self.graph.sum(acc, r);
                acc = self.checked(id)?;
            } else if self.eat('-') {
                let r = self.product()?;
                let id = self.graph.difference(acc, r);
                acc = self.checked(id)?;
            } else {
                return Ok(acc);
            }
        }
    }

    fn product(&mut self) -> Result<Id, ParseError> {
        let mut acc = self.unary()?;
        loop {
            if self.eat('*') {
                let r = self.unary()?;
                let id = self.graph.product(acc, r);
                acc = self.checked(id)?;
            } else if self.eat('/') {
                let r = self.unary()?;
                let id = self.graph.quotient(acc, r);
                acc = self.checked(id)?;
            } else {
                return Ok(acc);
            }
        }
    }

    /// Signs in a loop: "- - x" negates twice, innermost first, as the
    /// recursive rule would.
    fn unary(&mut self) -> Result<Id, ParseError> {
        let mut minus = 0usize;
        loop {
            if self.eat('-') {
                minus += 1;
            } else if !self.eat('+') {
                break;
            }
        }
        let mut a = self.power()?;
        for _ in 0..minus {
            a = self.graph.neg(a);
        }
        self.checked(a)
    }

    /// Consumes `**` (after spaces) if it is next: Python's power, as sympy
    /// and numpy print formulas. The two stars must touch, as in Python.
    fn eat_double_star(&mut self) -> bool {
        self.skip_space();
        if self.chars.get(self.at..self.at + 2) == Some(&['*', '*'][..]) {
            self.at += 2;
            true
        } else {
            false
        }
    }

    fn power(&mut self) -> Result<Id, ParseError> {
        let base = self.atom()?;
        if self.eat('^') || self.eat_double_star() {
            let exponent = self.nested(self.at - 1, Self::unary)?;
            let id = self.graph.power(base, exponent);
            return self.checked(id);
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Id, ParseError> {
        self.skip_space();
        let what = "a number, a variable, a function or \"(\"";
        let Some(&c) = self.chars.get(self.at) else { return Err(self.expected(what)) };
        if c == '(' {
            self.at += 1;
            return self.nested(self.at - 1, |p| {
                let inner = p.sum()?;
                if !p.eat(')') {
                    return Err(p.expected("\")\""));
                }
                Ok(inner)
            });
        }
        if c.is_ascii_digit() || c == '.' {
            return self.number();
        }
        if c.is_alphabetic() {
            return self.name();
        }
        Err(self.expected(what))
    }

    fn number(&mut self) -> Result<Id, ParseError> {
        let start = self.at;
        let digits = |p: &mut Self| {
            while p.chars.get(p.at).is_some_and(|c| c.is_ascii_digit()) {
                p.at += 1;
            }
        };
        digits(self);
        if self.chars.get(self.at) == Some(&'.') {
            self.at += 1;
            digits(self);
        }
        // An exponent only when digits follow ("2e" stops after the 2, and
        // the e then wants an operator before it).
        if matches!(self.chars.get(self.at), Some('e' | 'E')) {
            let sign = matches!(self.chars.get(self.at + 1), Some('+' | '-')) as usize;
            if self.chars.get(self.at + 1 + sign).is_some_and(|c| c.is_ascii_digit()) {
                self.at += 1 + sign;
                digits(self);
            }
        }
        let text: String = self.chars[start..self.at].iter().collect();
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(self.graph.constant(v)),
            _ => {
                self.at = start;
                Err(self.error(format!("expected a number, found {}", crate::error::quote(&text))))
            }
        }
    }

    fn name(&mut self) -> Result<Id, ParseError> {
        let start = self.at;
        while self.chars.get(self.at).is_some_and(|c| c.is_alphanumeric() || *c == '_') {
            self.at += 1;
        }
        let name: String = self.chars[start..self.at].iter().collect();
        if let Some(&(_, f)) = Func::NAMED.iter().find(|(n, _)| *n == name) {
            let [arg] = self.arguments(start, &name)?;
            let id = self.graph.call(f, arg);
            return self.checked(id);
        }
        // pow(a, b) is a^b exactly: the same power node.
        let two = Func2::NAMED.iter().find(|(n, _)| *n == name).map(|&(_, f)| Some(f));
        if let Some(f) = two.or((name == "pow").then_some(None)) {
            let [a, b] = self.arguments(start, &name)?;
            let id = match f {
                Some(f) => self.graph.call2(f, a, b),
                None => self.graph.power(a, b),
            };
            return self.checked(id);
        }
        let var = |p: &mut Self, k: usize| p.graph.add(Node::Var(k));
        match name.as_str() {
            "pi" => Ok(self.graph.constant(std::f64::consts::PI)),
            "e" => Ok(self.graph.constant(std::f64::consts::E)),
            _ if PLAIN_NAMES.contains(&name.as_str()) => {
                let k = PLAIN_NAMES.iter().position(|n| *n == name).expect("a plain name");
                self.vars.plain = self.vars.plain.max(k + 1);
                Ok(var(self, k))
            }
            _ => match name.strip_prefix('x').and_then(|k| k.parse::<usize>().ok()) {
                Some(k) if (1..=MAX_VARIABLES).contains(&k) && !name[1..].starts_with('0') => {
                    self.vars.indexed = self.vars.indexed.max(k);
                    Ok(var(self, k - 1))
                }
                _ if self.params.contains_key(&name) => {
                    let (key, &value) = self.params.get_key_value(&name).expect("a parameter");
                    self.used.insert(key.as_str());
                    Ok(self.graph.constant(value))
                }
                _ => {
                    self.at = start;
                    let functions: Vec<&str> = Func::NAMED
                        .iter()
                        .map(|(n, _)| *n)
                        .chain(Func2::NAMED.iter().map(|(n, _)| *n))
                        .chain(["pow"])
                        .collect();
                    Err(self.error(format!(
                        "unknown name {}: expected x, y, z, x1..x{MAX_VARIABLES}, pi, e, a function ({}) \
                         or a parameter given a value by --set NAME=VALUE",
                        crate::error::quote(&name),
                        functions.join(", ")
                    )))
                }
            },
        }
    }
}

impl Parser<'_> {
    /// The N comma-separated arguments of the function `name` (which began
    /// at column `start`), "(" to ")"; a wrong count is named as such.
    fn arguments<const N: usize>(&mut self, start: usize, name: &str) -> Result<[Id; N], ParseError> {
        if !self.eat('(') {
            return Err(self.expected(&format!("\"(\" after {name}")));
        }
        let takes = if N == 1 { "one argument".to_string() } else { format!("{N} arguments") };
        self.nested(start, |p| {
            let mut args = [0; N];
            for (k, arg) in args.iter_mut().enumerate() {
                *arg = p.sum()?;
                let last = k + 1 == N;
                if !last && !p.eat(',') {
                    return Err(p.expected(&format!("\",\" ({name} takes {takes})")));
                }
            }
            if !p.eat(')') {
                let what = if p.chars.get(p.at) == Some(&',') {
                    format!("\")\" ({name} takes {takes})")
                } else {
                    "\")\"".to_string()
                };
                return Err(p.expected(&what));
            }
            Ok(args)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::surface::formula::{Formula, MAX_DEPTH};

    fn f(text: &str, p: &[f64]) -> f64 {
        Formula::parse(text, None).unwrap().value(p)
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(f("-x^2", &[3.0, 0.0]), -9.0);
        assert_eq!(f("2^3^2", &[0.0, 0.0]), 512.0);
        assert_eq!(f("1 - 2 - 3", &[0.0, 0.0]), -4.0);
        assert_eq!(f("8 / 4 / 2", &[0.0, 0.0]), 1.0);
        assert_eq!(f("2*x + y*3", &[1.0, 2.0]), 8.0);
        assert_eq!(f("2^-1", &[0.0, 0.0]), 0.5);
        assert_eq!(f("(x+1)^2", &[-3.0, 0.0]), 4.0);
        assert!((f("pi + e", &[0.0, 0.0]) - 5.859874482048838).abs() < 1e-15);
        assert_eq!(f("1.5e2 + .5", &[0.0, 0.0]), 150.5);
    }

    #[test]
    fn named_parameters_are_constants_given_by_set() {
        use crate::surface::formula::Params;
        let params = |pairs: &[(&str, f64)]| pairs.iter().map(|(n, v)| (n.to_string(), *v)).collect::<Params>();
        let with = |text: &str, pairs: &[(&str, f64)]| Formula::parse_with(text, None, &params(pairs));
        let f = with("x^4 - a*x^2 + b_2*y^2", &[("a", 2.0), ("b_2", 3.0)]).unwrap();
        assert_eq!(f.value(&[2.0, 1.0]), 16.0 - 8.0 + 3.0);
        let mut g = [0.0; 2];
        f.gradient(&[2.0, 1.0], &mut g);
        assert_eq!(g, [32.0 - 8.0, 6.0]);
        assert_eq!(f.params(), &params(&[("a", 2.0), ("b_2", 3.0)]));
        let err = |text: &str, pairs: &[(&str, f64)]| with(text, pairs).unwrap_err().to_string();
        assert!(err("x^2 - a", &[]).contains("unknown name \"a\"") && err("x^2 - a", &[]).contains("--set"));
        assert_eq!(err("x^2 - a", &[("a", 1.0), ("b", 2.0)]), "column 1: --set b: the formula has no b");
        assert!(err("x^2", &[("x", 1.0)]).contains("is a variable, a constant or a function"));
        assert!(err("x^2 + sin", &[("sin", 1.0)]).contains("is a variable, a constant or a function"));
        assert!(err("x^2", &[("x3", 1.0)]).contains("is a variable"));
        assert!(err("x^2", &[("2a", 1.0)]).contains("a letter then"));
    }

    #[test]
    fn functions_of_two_arguments() {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12 * (1.0 + b.abs());
        assert!(close(f("atan2(y, x)", &[-1.0, 1.0]), (1.0f64).atan2(-1.0)));
        assert_eq!(f("min(x, y) + 10*max(x, y)", &[3.0, -2.0]), 28.0);
        assert_eq!(f("pow(x, y)", &[2.0, 3.0]), 8.0);
        assert_eq!(f("pow(x + 1, -2)", &[1.0, 0.0]), 0.25);
        assert_eq!(f("max(pow(2, 3), min(1, 2))", &[0.0, 0.0]), 8.0);
        // NaN loses, as in Rust's min and max.
        assert_eq!(f("min(log(x), y) + max(y, sqrt(x))", &[-1.0, 2.0]), 4.0);
        let err = |text: &str| Formula::parse(text, None).unwrap_err().to_string();
        assert_eq!(err("atan2(y)"), "column 8: expected \",\" (atan2 takes 2 arguments), found \")\"");
        assert_eq!(err("sin(x, y)"), "column 6: expected \")\" (sin takes one argument), found \",\"");
        assert_eq!(err("min(x, y, 1)"), "column 9: expected \")\" (min takes 2 arguments), found \",\"");
        assert_eq!(err("max(x, )"), "column 8: expected a number, a variable, a function or \"(\", found \")\"");
        assert!(err("foo(x)").contains("atan2, min, max, pow"), "{}", err("foo(x)"));
    }

    #[test]
    fn double_star_is_a_power_as_in_python() {
        for (stars, caret) in [
            ("x**2", "x^2"),
            ("-x**2", "-x^2"),
            ("2**3**2", "2^3^2"),
            ("x**-2", "x^-2"),
            ("2*x**3*y", "2*x^3*y"),
            ("(x + 1)**y ** 0.5", "(x + 1)^y ^ 0.5"),
        ] {
            assert_eq!(f(stars, &[1.5, 2.0]), f(caret, &[1.5, 2.0]), "{stars}");
        }
        // Apart, the stars are a product missing its right side.
        assert!(Formula::parse("x * * 2", None).is_err());
    }

    #[test]
    fn errors_name_the_column_and_what_was_expected() {
        let err = |text: &str| Formula::parse(text, None).unwrap_err().to_string();
        assert_eq!(err("x +* y"), "column 4: expected a number, a variable, a function or \"(\", found \"*\"");
        assert_eq!(err("(x + y"), "column 7: expected \")\", found the end");
        assert_eq!(err("x y"), "column 3: expected an operator (+ - * / ^) or the end, found \"y\"");
        assert_eq!(err("sin x"), "column 5: expected \"(\" after sin, found \"x\"");
        assert!(err("w + 1").starts_with("column 1: unknown name \"w\""));
        assert_eq!(err("   "), "column 4: expected a formula, found nothing");
        assert!(err("x + x1").contains("not both"));
        assert_eq!(err("z + x2"), "column 1: use x, y, z or x1, x2, ..., not both");
        assert!(err("log(0)").contains("constant part"));
        // Found by `cargo fuzz run formula`: 10^111 is finite in f64 only,
        // and the kernel said `inf.0`.
        assert!(err(" 10^ 111").contains("not a finite f32"), "{}", err(" 10^ 111"));
    }

    #[test]
    fn the_deepest_formula_allowed_parses_on_a_small_stack() {
        let text = format!("{}x{}", "sin((".repeat(MAX_DEPTH / 2), "))".repeat(MAX_DEPTH / 2));
        let f = std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(move || Formula::parse(&text, None).map(|f| f.kernel_ops()))
            .unwrap()
            .join()
            .unwrap();
        assert!(f.is_ok(), "{f:?}");
    }

    #[test]
    fn long_user_text_in_errors_is_quoted_and_cut() {
        let e = Formula::parse(&format!("x + {}", "z".repeat(10_000)), None).unwrap_err().to_string();
        assert!(e.len() < 400 && e.contains("more characters"), "{e}");
        let e = Formula::parse("x + \u{1b}[31m", None).unwrap_err().to_string();
        assert!(!e.chars().any(char::is_control), "{e}");
    }

    #[test]
    fn dimension_comes_from_the_names_used() {
        assert_eq!(Formula::parse("x^2", None).unwrap().dim(), 2);
        assert_eq!(Formula::parse("x1^2 + x3", None).unwrap().dim(), 3);
        assert_eq!(Formula::parse("x1^2", Some(5)).unwrap().dim(), 5);
        // z is the third variable: a formula using it is 3-D.
        let f = Formula::parse("x + 10*y + 100*z", None).unwrap();
        assert_eq!((f.dim(), f.value(&[1.0, 2.0, 3.0])), (3, 321.0));
        assert_eq!(Formula::parse("z^2", None).unwrap().dim(), 3);
        assert_eq!(Formula::parse("y", None).unwrap().dim(), 2);
    }
}
