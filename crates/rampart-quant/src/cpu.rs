//! The hot loops compiled twice: for the baseline instruction set, and with
//! AVX2 for processors that have it (checked once, at run time).
//!
//! The loops are written once, in portable Rust, as `#[inline(always)]`
//! functions; [`multiversion!`] wraps one in a function that calls its AVX2
//! compilation where the processor allows. Both compilations perform the same
//! IEEE operations in the same order (Rust never fuses or reorders floating
//! point arithmetic), so results are bit for bit the same whichever runs: a
//! stored result reproduces on any machine.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set by tests to run the baseline compilation on an AVX2 machine.
static BASELINE_ONLY: AtomicBool = AtomicBool::new(false);

/// Whether the AVX2 compilations may run.
#[inline]
pub(crate) fn avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && !BASELINE_ONLY.load(Ordering::Relaxed)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Runs `f` with only the baseline compilations (for tests that compare the two).
#[doc(hidden)]
pub fn with_baseline_only<R>(f: impl FnOnce() -> R) -> R {
    BASELINE_ONLY.store(true, Ordering::Relaxed);
    let result = f();
    BASELINE_ONLY.store(false, Ordering::Relaxed);
    result
}

/// `multiversion!(fn name<G: Bound>(arg: Type, …) -> Ret = implementation);`
/// defines `name`, which calls `implementation` (an `#[inline(always)]`
/// function) compiled with AVX2 when [`avx2`] says so, and as is otherwise.
/// `= implementation, avx2 = other` calls `other` (a function of its own
/// with `#[target_feature(enable = "avx2")]`, giving the same results)
/// instead of the AVX2 compilation of `implementation`.
macro_rules! multiversion {
    (fn $name:ident $(<$g:ident: $bound:path>)? ($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? = $imp:path) => {
        $crate::cpu::multiversion!(fn $name $(<$g: $bound>)? ($($arg: $ty),*) $(-> $ret)? = $imp, avx2 = $imp);
    };
    (fn $name:ident $(<$g:ident: $bound:path>)? ($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? = $imp:path, avx2 = $avx2:path) => {
        fn $name $(<$g: $bound>)? ($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                fn with_avx2 $(<$g: $bound>)? ($($arg: $ty),*) $(-> $ret)? {
                    $avx2($($arg),*)
                }
                if $crate::cpu::avx2() {
                    // SAFETY: the processor has AVX2, checked just above; that
                    // is the only requirement of a `target_feature` function.
                    #[allow(unsafe_code)]
                    return unsafe { with_avx2($($arg),*) };
                }
            }
            $imp($($arg),*)
        }
    };
}
pub(crate) use multiversion;
