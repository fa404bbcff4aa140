import CLua

extension LuaCall {
    /// The optional timeout in seconds at `index`: nil when absent (wait as long as it takes).
    /// A negative timeout means 0, "do not wait", so that `f:wait(deadline - desync.clock())`
    /// works once the deadline has passed; NaN is a misuse. Every call that takes a timeout reads
    /// it here.
    func optionalTimeout(_ index: Int32) throws -> Double? {
        guard let seconds = try optionalNumber(index) else { return nil }
        guard !seconds.isNaN else { throw argumentError(index, "timeout must be a number of seconds, not NaN") }
        return max(seconds, 0)
    }
}
