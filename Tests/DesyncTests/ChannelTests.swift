import Synchronization
import Testing

@testable import Desync

@Suite("DesyncChannel: blocking and async sides")
struct ChannelTests {
    @Test("blocking send and receive across threads keep FIFO order", arguments: [1, 4, nil] as [Int?])
    func blockingAcrossThreads(capacity: Int?) {
        let channel = DesyncChannel<Int>(capacity: capacity)
        let count = pipeItemCount / 5
        Thread.detach {
            for item in 0..<count { try? channel.send(item) }
            channel.close()
        }
        var received: [Int] = []
        received.reserveCapacity(count)
        while let item = channel.receive() { received.append(item) }
        #expect(received == Array(0..<count))
        #expect(channel.receive() == nil)
    }

    @Test("many senders and receivers: every item exactly once, each sender's items in order")
    func manyToMany() {
        let channel = DesyncChannel<(sender: Int, index: Int)>(capacity: 8)
        let senders = 4
        let receivers = 4
        let perSender = pipeItemCount / 20
        let sent = Latch()
        let done = Latch()
        // A Desync, not the standard library's Mutex: ThreadSanitizer on Linux reports false races
        // inside Mutex.withLock.
        let logs = Desync([[(sender: Int, index: Int)]]())
        for sender in 0..<senders {
            Thread.detach {
                for index in 0..<perSender { try? channel.send((sender, index)) }
                sent.open()
            }
        }
        for _ in 0..<receivers {
            Thread.detach {
                var log: [(sender: Int, index: Int)] = []
                while let item = channel.receive() { log.append(item) }
                logs.sync { $0.append(log) }
                done.open()
            }
        }
        for _ in 0..<senders { #expect(sent.wait()) }
        channel.close()
        for _ in 0..<receivers { #expect(done.wait()) }
        let all = logs.sync { $0 }
        #expect(all.map(\.count).reduce(0, +) == senders * perSender)
        var seen = Set<Int>()
        for log in all {
            for sender in 0..<senders {
                let indices = log.filter { $0.sender == sender }.map(\.index)
                #expect(indices == indices.sorted())
            }
            for item in log { seen.insert(item.sender * perSender + item.index) }
        }
        #expect(seen.count == senders * perSender)
    }

    @Test("timeouts: receive on empty and send on full give up, and the channel still works")
    func timeouts() throws {
        let channel = DesyncChannel<Int>(capacity: 1)
        let start = ContinuousClock.now
        #expect(channel.receive(timeout: .milliseconds(50)) == .timeout)
        #expect(ContinuousClock.now - start >= .milliseconds(50))
        #expect(channel.receive(timeout: .zero) == .timeout)
        try channel.send(1)
        let sendStart = ContinuousClock.now
        #expect(try channel.send(2, timeout: .milliseconds(50)) == false)
        #expect(ContinuousClock.now - sendStart >= .milliseconds(50))
        #expect(try channel.send(2, timeout: .zero) == false)
        // The timed-out sender left no item behind, and the timed-out receiver took nothing.
        #expect(channel.count == 1)
        #expect(channel.receive(timeout: .seconds(1)) == .item(1))
        #expect(channel.receive(timeout: .zero) == .timeout)
        // A timed receive that an item reaches in time gets it.
        Thread.detach {
            usleep(20_000)
            try? channel.send(3)
        }
        #expect(channel.receive(timeout: .seconds(10)) == .item(3))
    }

    @Test("close: sent items are still delivered, then receive reports closed; send throws")
    func closeSemantics() throws {
        let channel = DesyncChannel<String>()
        try channel.send("a")
        try channel.send("b")
        channel.close()
        channel.close()
        #expect(channel.isClosed)
        #expect(channel.count == 2)
        #expect(throws: DesyncChannelError.closed) { try channel.send("c") }
        #expect(throws: DesyncChannelError.closed) { try channel.trySend("c") }
        #expect(throws: DesyncChannelError.closed) { try channel.send("c", timeout: .seconds(1)) }
        #expect(channel.receive() == "a")
        #expect(channel.receive(timeout: .seconds(1)) == .item("b"))
        #expect(channel.receive() == nil)
        #expect(channel.receive(timeout: .seconds(1)) == .closed)
    }

    @Test("close wakes blocked receivers with nil and blocked senders with an error")
    func closeWakesEveryone() throws {
        let empty = DesyncChannel<Int>()
        let full = DesyncChannel<Int>(capacity: 1)
        try full.send(0)
        let receiversWoke = Atomic<Int>(0)
        let sendersRefused = Atomic<Int>(0)
        let finished = Latch()
        for _ in 0..<3 {
            Thread.detach {
                if empty.receive() == nil { receiversWoke.add(1, ordering: .relaxed) }
                finished.open()
            }
            Thread.detach {
                do { try full.send(1) } catch { sendersRefused.add(1, ordering: .relaxed) }
                finished.open()
            }
        }
        usleep(50_000)
        empty.close()
        full.close()
        for _ in 0..<6 { #expect(finished.wait()) }
        #expect(receiversWoke.load(ordering: .relaxed) == 3)
        #expect(sendersRefused.load(ordering: .relaxed) == 3)
        // The item sent before the close is still there.
        #expect(full.receive() == 0)
        #expect(full.receive() == nil)
    }

    @Test("capacity 1: a second send waits for a receive; trySend reports full")
    func capacityOne() throws {
        let channel = DesyncChannel<Int>(capacity: 1)
        #expect(try channel.trySend(1))
        #expect(try channel.trySend(2) == false)
        let secondSent = Atomic<Bool>(false)
        let done = Latch()
        Thread.detach {
            try? channel.send(2)
            secondSent.store(true, ordering: .releasing)
            done.open()
        }
        usleep(50_000)
        let sentEarly = secondSent.load(ordering: .acquiring)
        #expect(!sentEarly)
        #expect(channel.receive() == 1)
        #expect(done.wait())
        #expect(channel.receive() == 2)
        #expect(channel.count == 0)
    }

    @Test("async side: a task receives what threads send, and a full channel suspends its sender")
    func asyncSide() async throws {
        let channel = DesyncChannel<Int>(capacity: 2)
        let consumer = DesyncChannel<Int>(capacity: 2)
        Thread.detach {
            for item in 0..<1000 { try? channel.send(item) }
            channel.close()
        }
        let forwarded = Task {
            for await item in channel { try await consumer.send(item * 2) }
            consumer.close()
        }
        let received = try await bounded {
            var received: [Int] = []
            for await item in consumer { received.append(item) }
            return received
        }
        #expect(received == (0..<1000).map { $0 * 2 })
        try await bounded { try await forwarded.value }
    }

    @Test("async next: cancelling a waiting task returns nil and loses no later item")
    func asyncReceiveCancellation() async throws {
        let channel = DesyncChannel<Int>()
        let waiting = Task { await channel.next() }
        try await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        #expect(try await bounded { await waiting.value } == nil)
        try await channel.send(7)
        #expect(await channel.next() == 7)
    }

    @Test("async send: cancelling a waiting sender throws CancellationError and sends nothing")
    func asyncSendCancellation() async throws {
        let channel = DesyncChannel<Int>(capacity: 1)
        try await channel.send(1)
        let sending = Task { try await channel.send(2) }
        try await Task.sleep(for: .milliseconds(50))
        sending.cancel()
        let outcome = try await bounded { await sending.result }
        #expect(throws: CancellationError.self) { try outcome.get() }
        #expect(channel.receive() == 1)
        #expect(channel.receive(timeout: .zero) == .timeout)
        // Async send on a closed channel throws the channel's error.
        channel.close()
        await #expect(throws: DesyncChannelError.closed) { try await channel.send(3) }
    }

    @Test("async sides meet: many tasks send and receive, every item exactly once")
    func asyncManyToMany() async throws {
        let channel = DesyncChannel<Int>(capacity: 3)
        let count = pipeItemCount / 10
        let total = try await bounded {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for sender in 0..<4 {
                    group.addTask {
                        for item in stride(from: sender, to: count, by: 4) { try await channel.send(item) }
                        return 0
                    }
                }
                for _ in 0..<4 {
                    group.addTask {
                        var sum = 0
                        for await item in channel { sum += item + 1 }
                        return sum
                    }
                }
                // Close once the senders are done: they return 0, receivers return sums.
                var senders = 0
                var sum = 0
                for try await partial in group {
                    if partial == 0 && senders < 4 {
                        senders += 1
                        if senders == 4 { channel.close() }
                    } else {
                        sum += partial
                    }
                }
                return sum
            }
        }
        #expect(total == (0..<count).reduce(0) { $0 + $1 + 1 })
    }

    @Test("whenReadable fires once, when an item arrives or the channel closes")
    func readiness() throws {
        let channel = DesyncChannel<Int>()
        let fired = Atomic<Int>(0)
        #expect(channel.whenReadable { fired.add(1, ordering: .relaxed) })
        #expect(fired.load(ordering: .relaxed) == 0)
        try channel.send(1)
        #expect(fired.load(ordering: .relaxed) == 1)
        try channel.send(2)
        #expect(fired.load(ordering: .relaxed) == 1)
        // Readable already: not registered.
        #expect(!channel.whenReadable { fired.add(1, ordering: .relaxed) })
        _ = channel.receive()
        _ = channel.receive()
        #expect(channel.whenReadable { fired.add(10, ordering: .relaxed) })
        channel.close()
        #expect(fired.load(ordering: .relaxed) == 11)
    }

    @Test("whenWritable fires once, when a receive frees room or the channel closes")
    func writability() throws {
        let channel = DesyncChannel<Int>(capacity: 1)
        let fired = Atomic<Int>(0)
        // Room already: not registered.
        #expect(!channel.whenWritable { fired.add(100, ordering: .relaxed) })
        try channel.send(1)
        #expect(channel.whenWritable { fired.add(1, ordering: .relaxed) })
        #expect(fired.load(ordering: .relaxed) == 0)
        _ = channel.receive()
        #expect(fired.load(ordering: .relaxed) == 1)
        try channel.send(2)
        // With a sender waiting for room, the receive's freed slot may go to its item (then the
        // call waits for the next receive); either way it comes once.
        let sent = Latch()
        Thread.detach {
            try? channel.send(3)
            sent.open()
        }
        // Give the sender time to queue behind the full channel.
        usleep(50_000)
        #expect(channel.whenWritable { fired.add(10, ordering: .relaxed) })
        #expect(channel.receive() == 2)
        #expect(sent.wait())
        #expect(channel.receive() == 3)
        #expect(fired.load(ordering: .relaxed) == 11)
        try channel.send(4)
        #expect(channel.whenWritable { fired.add(1000, ordering: .relaxed) })
        channel.close()
        #expect(fired.load(ordering: .relaxed) == 1011)
        // Closed: a send would not wait, so nothing is registered.
        #expect(!channel.whenWritable { fired.add(100, ordering: .relaxed) })
    }

    @Test("whenWritable loses no wake-up when receives race with the registration", arguments: 0..<20)
    func writabilityRaces(round: Int) throws {
        // A writer that only ever waits through whenWritable must get every item in; a lost
        // wake-up leaves it waiting for room that is there.
        let channel = DesyncChannel<Int>(capacity: 1 + round % 3)
        let count = 20_000
        let readAll = Atomic<Bool>(false)
        let readerDone = Latch()
        Thread.detach {
            var next = 0
            while let item = channel.receive() {
                if item != next { break }
                next += 1
            }
            readAll.store(next == count, ordering: .releasing)
            readerDone.open()
        }
        let parker = ThreadParker.current
        for item in 0..<count {
            while try !channel.trySend(item) {
                if channel.whenWritable({ parker.unpark() }) {
                    // Bounded: a lost wake-up shows as a timeout, not a hang.
                    guard parker.park(until: .now + .seconds(10)) else {
                        Issue.record("no wake-up after 10 s, with room: \(channel.hasRoom)")
                        channel.close()
                        return
                    }
                }
            }
        }
        channel.close()
        #expect(readerDone.wait())
        let inOrder = readAll.load(ordering: .acquiring)
        #expect(inOrder)
    }

    @Test("pool threads blocked in receive do not deadlock the pool")
    func blockedPoolThreads() {
        let scheduler = Scheduler(maxThreads: 2)
        let channels = (0..<4).map { _ in DesyncChannel<Int>(capacity: 1) }
        let receivers = (0..<4).map { _ in Desync(0, scheduler: scheduler) }
        let senders = (0..<4).map { _ in Desync(0, scheduler: scheduler) }
        let blocked = Latch()
        let received = Latch()
        for (receiver, channel) in zip(receivers, channels) {
            receiver.async { value in
                blocked.open()
                value = channel.receive() ?? -1
                received.open()
            }
        }
        // At least the pool's two threads block; the others follow as threads are added.
        #expect(blocked.wait() && blocked.wait())
        #expect(eventually { scheduler.stats.threadsBlocked == 4 })
        for (index, (sender, channel)) in zip(senders, channels).enumerated() {
            sender.async { _ in try? channel.send(index + 1) }
        }
        for _ in 0..<4 { #expect(received.wait()) }
        #expect(receivers.map { $0.sync { $0 } } == [1, 2, 3, 4])
        #expect(scheduler.stats.threadsBlocked == 0)
        // The extra threads retire once nobody is blocked.
        #expect(eventually { scheduler.stats.threadsAlive <= 2 })
    }
}
