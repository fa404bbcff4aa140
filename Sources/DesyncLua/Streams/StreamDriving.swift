/// With 0 pool threads, queued jobs run only when a thread waiting for them runs them. A thread
/// blocked on a stream runs what can feed it: the pipe producing the stream (and the pipes
/// upstream of it) first, then every object with queued jobs, as the end of a batch script does.
enum StreamDriving {
    /// How many pipes upstream a wait follows.
    static let depth = 32

    /// Runs queued work that may feed `stream` (nil: any queued work). True if it ran anything;
    /// false, at once, when the pool has threads of its own.
    static func drive(toward stream: LuaStream?, in runtime: RuntimeCore) -> Bool {
        guard runtime.scheduler.maxThreads == 0 else { return false }
        if let producer = stream?.producer, producer.drive(budget: depth) { return true }
        return runtime.runQueuedWorkHere()
    }
}
