import CLua

/// The memory of one Lua state (CLua's memory.h): what it holds and its limit. Made with the
/// object, before its state (made on the first job), so that its size can be read from any thread
/// at any time; outlives the state, whose allocator writes to it until `lua_close` returns.
final class LuaMemoryAccount: @unchecked Sendable {
    // @unchecked: the C record's `used` is read and written only with atomic builtins; its other
    // fields belong to the thread running the state, which hands it on with the state.
    let record: UnsafeMutablePointer<desync_memory>
    /// The most the state may hold while its Lua code runs, in bytes; nil for no limit.
    let limit: Int?

    init(limit: Int?) {
        self.limit = limit
        record = .allocate(capacity: 1)
        desync_memory_init(record)
    }

    deinit {
        record.deallocate()
    }

    /// Bytes the state holds now (0 before it is made).
    var used: Int { Int(desync_memory_used(record)) }

    /// Starts enforcing `limit`: called once the state is ready, so that making it never fails.
    func applyLimit() {
        if let limit { desync_memory_set_limit(record, limit) }
    }
}
