import Desync
import DesyncLua
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("desync.poll_fd after a wait")
struct PollFDTests {
    /// A future wakes its `on_done` callbacks just after it publishes its outcome, on the thread
    /// that finished it: `f:wait()` could return before the callback was queued, and an event loop
    /// checking `desync.poll_fd()` right then found nothing to poll (`on_done.lua` failed so under
    /// ThreadSanitizer). Once `f:wait()` or `f:result()` returns, the callback is queued.
    @Test("once f:wait() returns, the eventfd is readable for that future's on_done callbacks", arguments: [1, 2])
    func readableAfterWait(threads: Int) throws {
        let runtime = LuaRuntime(scheduler: Scheduler(maxThreads: threads))
        #expect(runtime.execute("o = desync.new({}); fd = desync.poll_fd()") == nil)
        // The chunk's error carries the number out (the first line of the message).
        let text = runtime.execute("error(tostring(fd), 0)") ?? ""
        let fd = try #require(Int32(text.prefix { $0 != "\n" }))
        var unreadable = 0
        for round in 0..<2000 {
            let wait = round.isMultiple(of: 2) ? "f:wait()" : "f:result()"
            #expect(runtime.execute("f = o:future(function() return 1 end) f:on_done(function() end) \(wait)") == nil)
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&entry, 1, 0) != 1 { unreadable += 1 }
            #expect(runtime.execute("assert(desync.poll() == 1)") == nil)
        }
        #expect(unreadable == 0, "\(unreadable) of 2000 waits returned before the eventfd was readable")
    }
}
