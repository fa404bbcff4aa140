import Synchronization
import Testing

@testable import Desync

/// How many items the long pipe and channel tests push: 100,000, or 20,000 under
/// ThreadSanitizer (5-10 times slower); `DESYNC_PIPE_ITEMS` overrides both.
let pipeItemCount: Int = {
    if let text = getenv("DESYNC_PIPE_ITEMS"), let count = Int(String(cString: text)) { return count }
    return runningUnderThreadSanitizer ? 20_000 : 100_000
}()

/// The TSan runtime is linked into the test binary when it is on; look for one of its symbols.
let runningUnderThreadSanitizer: Bool = {
    guard let program = dlopen(nil, RTLD_NOW) else { return false }
    return dlsym(program, "__tsan_init") != nil
}()

struct TimedOut: Error {}

/// A flag that one caller wins.
final class Once: Sendable {
    private let done = Atomic<Bool>(false)

    /// True for the first caller only.
    func claim() -> Bool { !done.exchange(true, ordering: .acquiringAndReleasing) }
}

/// Runs `body` and returns its result, or throws `TimedOut` after `seconds` even if `body` never
/// finishes (it is then left running), so a lost wake-up fails a test instead of hanging it.
func bounded<R: Sendable>(
    seconds: Double = 30, _ body: @escaping @Sendable () async throws -> R
) async throws -> R {
    let resumed = Once()
    return try await withCheckedThrowingContinuation { continuation in
        let work = Task {
            let outcome: Result<R, any Error>
            do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
            if resumed.claim() { continuation.resume(with: outcome) }
        }
        Task {
            try? await Task.sleep(for: .seconds(seconds))
            if resumed.claim() {
                work.cancel()
                continuation.resume(throwing: TimedOut())
            }
        }
    }
}

/// Polls `condition` until it holds or the timeout passes, suspending between polls. Async tests
/// must use this, never the blocking `eventually`: a blocked cooperative thread can starve the
/// very tasks (a pipe's feeder) the condition waits for.
///
/// The timeout counts this task's own time between polls, each poll at most 50 ms of it: when
/// other tests block every cooperative thread (Swift Testing runs tests side by side, on 2
/// threads on a 2-core machine), this task and the tasks it waits for are starved together, and
/// a clock deadline could pass before either ran again (seen in a parallel run: the condition
/// held moments later). A condition that never holds still fails, after at least `seconds`.
func eventually(seconds: Double = 10, _ condition: () -> Bool) async -> Bool {
    let budget = Duration.seconds(seconds)
    var spent = Duration.zero
    while spent < budget {
        if condition() { return true }
        let before = ContinuousClock.now
        try? await Task.sleep(for: .milliseconds(1))
        spent += min(before.duration(to: .now), .milliseconds(50))
    }
    return condition()
}

/// Runs `body` on a plain thread (it may block) and awaits it without blocking a cooperative
/// thread.
func onPlainThread<R: Sendable>(
    seconds: Double = 30, _ body: @escaping @Sendable () throws -> R
) async throws -> R {
    let outcome = DesyncChannel<Result<R, any Error>>(capacity: 1)
    Thread.detach { try? outcome.send(Result { try body() }) }
    return try await bounded(seconds: seconds) { await outcome.next()! }.get()
}

/// Small random delays: mostly a short spin, now and then a real sleep, so both sides of a pipe
/// run sometimes faster and sometimes slower than the other.
struct Jitter {
    var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    /// For threads (jobs).
    mutating func pause() {
        let roll = random.next() % 1000
        if roll < 2 {
            usleep(UInt32(50 + roll * 100))
        } else {
            spin(Int(roll % 64))
        }
    }

    /// For tasks (sources, consumers).
    mutating func pause() async {
        let roll = random.next() % 1000
        if roll < 2 {
            try? await Task.sleep(for: .microseconds(50 + roll * 100))
        } else if roll < 50 {
            await Task.yield()
        } else {
            spin(Int(roll % 64))
        }
    }

    private func spin(_ rounds: Int) {
        var sink = 0
        for step in 0..<rounds { sink &+= step &* 31 }
        withExtendedLifetime(sink) {}
    }
}

/// A source that counts how many items were pulled from it and notices when it is let go.
struct CountingSource: AsyncSequence, Sendable {
    typealias Element = Int
    typealias Failure = any Error

    final class Probe: Sendable {
        let pulled = Atomic<Int>(0)
        let released = Atomic<Bool>(false)
    }

    /// Dropped with the iterator: tells the probe the source was let go.
    final class Token: Sendable {
        let probe: Probe
        init(_ probe: Probe) { self.probe = probe }
        deinit { probe.released.store(true, ordering: .releasing) }
    }

    let probe: Probe
    /// Nil: endless.
    var count: Int?
    /// Thrown instead of the item with this index.
    var failAt: Int?
    var jitterSeed: UInt64?

    struct AsyncIterator: AsyncIteratorProtocol {
        let token: Token
        let count: Int?
        let failAt: Int?
        var jitter: Jitter?
        var next = 0

        mutating func next() async throws -> Int? {
            if var jitter {
                await jitter.pause()
                self.jitter = jitter
            }
            if let count, next >= count { return nil }
            if next == failAt { throw TestError(code: next) }
            token.probe.pulled.add(1, ordering: .relaxed)
            defer { next += 1 }
            return next
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(token: Token(probe), count: count, failAt: failAt, jitter: jitterSeed.map(Jitter.init))
    }
}
