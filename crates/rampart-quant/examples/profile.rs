//! In-process timing of one model file (JSON), for profiling the engine:
//! `cargo run --release -p rampart-quant --example profile MODEL.json [THREADS] [baseline]`
//! (`baseline`: without the AVX2 compilations of the hot loops).
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let text = std::fs::read_to_string(args.next().expect("a model file")).expect("readable");
    let threads: usize = args.next().map_or(2, |t| t.parse().expect("a thread count"));
    let baseline = args.next().is_some_and(|a| a == "baseline");
    let spec: rampart_quant::ModelSpec = serde_json::from_str(&text).expect("a JSON model");
    let model = spec.to_model().expect("a valid model");
    let mut best = f64::MAX;
    for _ in 0..7 {
        let t = Instant::now();
        if baseline {
            std::hint::black_box(rampart_quant::with_baseline_only(|| rampart_quant::run(&model, threads)));
        } else {
            std::hint::black_box(rampart_quant::run(&model, threads));
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    let code = if baseline { "baseline" } else { "best available" };
    println!("{threads} thread(s), {code} code: best of 7 {:.1} ms", best * 1e3);
}
