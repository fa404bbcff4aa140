#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether transfer may rely on what it knows of liblua's private layouts: `LuaPrototype` (a
/// closure's prototype, read from `LClosure`) and `LuaClosureFactory` (Lua 5.4 binary chunks,
/// edited). Each checks its assumption once and falls back to the slower public-API path when the
/// check fails; `DESYNC_LUA_PRIVATE_LAYOUT=off` in the environment turns both off from the start,
/// so that the fallback can be tested, and ruled in or out with an unusual liblua build.
enum LuaPrivateLayout {
    /// The environment variable that turns both off.
    static let environmentVariable = "DESYNC_LUA_PRIVATE_LAYOUT"

    /// Read once, at the first transfer of a function.
    static let allowed: Bool = isAllowed(byEnvironmentValue: getenv(environmentVariable).map { String(cString: $0) })

    /// False for "off", "0", "no" or "false" (any case); true when unset or anything else.
    static func isAllowed(byEnvironmentValue value: String?) -> Bool {
        guard let value else { return true }
        return !["off", "0", "no", "false"].contains(value.lowercased())
    }
}
