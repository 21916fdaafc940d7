// The few libm functions the models need, without Foundation.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Natural logarithm.
@inline(__always) func logE(_ x: Double) -> Double { log(x) }

/// 2 raised to `x`.
@inline(__always) func pow2(_ x: Double) -> Double { exp2(x) }
