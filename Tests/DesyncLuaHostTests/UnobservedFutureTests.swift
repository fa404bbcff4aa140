import Foundation
import Testing

/// A failed future that nothing observes (`wait`, `result`, or `after` chained on it) is reported
/// like an unobserved `async` error and sets a batch run's exit status (issue 20: it vanished,
/// exit 0, and so did an `after` chained on it).
@Suite struct UnobservedFutureTests {
    private func reports(_ stderr: String) -> Int {
        stderr.components(separatedBy: "desync: error in ").count - 1
    }

    @Test func aFailedFutureNobodyWaitsForIsReported() throws {
        let result = try HostProcess.run(["-e", """
            local f = desync.new({}, { name = 'o' }):future(function() error('boom') end)
            """])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("desync: error in future on o: "))
        #expect(result.stderr.contains("boom"))
        #expect(reports(result.stderr) == 1)
    }

    @Test func anAfterChainedOnAFailedFutureReportsOnce() throws {
        let result = try HostProcess.run(["-e", """
            local o = desync.new({}, { name = 'o' })
            local f = o:future(function() error('boom') end)
            o:after(f, function() print('not run') end)
            """])
        #expect(result.status == 1)
        #expect(result.stdout == "")
        #expect(result.stderr.hasPrefix("desync: error in future on o: "))
        #expect(reports(result.stderr) == 1)
    }

    @Test func aFutureCollectedBeforeItFailsIsReportedWhenItFails() throws {
        let result = try HostProcess.run(["-e", """
            local o = desync.new({}, { name = 'o' })
            o:future(function() desync.sleep(0.1) error('late') end)
            collectgarbage() collectgarbage()
            print('collected')
            """])
        #expect(result.status == 1)
        #expect(result.stdout == "collected\n")
        #expect(result.stderr.hasPrefix("desync: error in future on o: "))
        #expect(result.stderr.contains("late"))
    }

    @Test func doneAndStatusDoNotObserveTheFailure() throws {
        let result = try HostProcess.run(["-e", """
            local f = desync.new({}, { name = 'o' }):future(function() error('boom') end)
            while not f:done() do desync.sleep(0.01) end
            print(f:status())
            """])
        #expect(result.status == 1)
        #expect(result.stdout == "failed\n")
        #expect(reports(result.stderr) == 1)
    }

    @Test("wait, result and a waited after observe the failure", arguments: [
        "print(pcall(f.wait, f) == false)",
        "print((f:result()) == false)",
        "print(o:after(f, function() end):result() == false)",
    ])
    func observedFailuresAreNotReported(observe: String) throws {
        let result = try HostProcess.run(["-e", """
            local o = desync.new({}, { name = 'o' })
            f = o:future(function() error('boom') end)
            \(observe)
            """])
        #expect(result.status == 0)
        #expect(result.stdout == "true\n")
        #expect(result.stderr == "")
    }

    @Test func aWaitThatTimesOutDoesNotObserve() throws {
        let result = try HostProcess.run(["-e", """
            local f = desync.new({}, { name = 'o' }):future(function() desync.sleep(0.2) error('boom') end)
            print(f:wait(0))
            """])
        #expect(result.status == 1)
        #expect(result.stdout == "nil\ttimeout\n")
        #expect(reports(result.stderr) == 1)
    }

    @Test func onErrorReceivesAnUnobservedFailedFuture() throws {
        let result = try HostProcess.run(["-e", """
            desync.on_error(function(err, obj) print('handled', obj:name(), tostring(err):match('boom') ~= nil) end)
            local f = desync.new({}, { name = 'o' }):future(function() error('boom') end)
            f = nil
            collectgarbage()
            desync.sleep(0.05)
            """])
        #expect(result.status == 0)
        #expect(result.stdout == "handled\to\ttrue\n")
        #expect(result.stderr == "")
    }

    @Test func cancelledAndSucceededFuturesAreNotReported() throws {
        let result = try HostProcess.run(["-t", "0", "-e", """
            local o = desync.new({}, { name = 'o' })
            local cancelled = o:future(function() error('never runs') end)
            print(cancelled:cancel())
            local fine = o:future(function() return 1 end)
            """])
        #expect(result.status == 0)
        #expect(result.stdout == "true\n")
        #expect(result.stderr == "")
    }

    /// Its items' errors are reported as they happen; the future's own failure repeats the first.
    @Test func aFailedPipeInFutureIsNotReportedTwice() throws {
        let result = try HostProcess.run(["-e", """
            local sink = desync.new({}, { name = 'sink' })
            sink:pipe_in(desync.stream.from({ 1 }), function() error('item failed') end)
            """])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("desync: error in async job on sink: "))
        #expect(reports(result.stderr) == 1)
    }
}
