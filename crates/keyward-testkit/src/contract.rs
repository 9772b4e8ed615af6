//! The store's contract suite runs once per storage backend.

/// Instantiates every contract test once per backend.
///
/// A contract test is a function of the test binary that takes the backend it runs on
/// and opens its store with [`Env::on`](crate::Env::on):
///
/// ```ignore
/// // tests/contract/users.rs
/// pub fn email_is_unique_case_insensitively(backend: &'static dyn Backend) {
///     let env = Env::on(backend);
///     // …
/// }
/// ```
///
/// The binary's root lists the backends once and the tests once, by module:
///
/// ```ignore
/// keyward_testkit::contract_tests! {
///     backends { sled => &keyward_testkit::Sled }
///     {
///         users { email_is_unique_case_insensitively, … }
///         keys { … }
///     }
/// }
/// ```
///
/// which makes `#[test] fn sled::users::email_is_unique_case_insensitively`, and so on
/// for every backend named. A contract test left out of the list is never called, and
/// the compiler says so (dead code).
// `crate::` (not `$crate::`) on purpose: the contract tests are functions of the test
// binary that invokes the macro.
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! contract_tests {
    (
        backends { $( $backend:ident => $make:expr ),+ $(,)? }
        $tests:tt
    ) => {
        $( $crate::contract_tests!(@backend $backend ($make) $tests); )+
    };
    (
        @backend $backend:ident ($make:expr)
        { $( $module:ident { $( $(#[$meta:meta])* $test:ident ),* $(,)? } )* }
    ) => {
        mod $backend {
            $(
                mod $module {
                    $(
                        $(#[$meta])*
                        #[test]
                        fn $test() {
                            crate::$module::$test($make)
                        }
                    )*
                }
            )*
        }
    };
}
