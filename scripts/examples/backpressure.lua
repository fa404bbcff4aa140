-- Producer and consumer with backpressure: a bounded stream between two jobs. When the stream is
-- full, the producer's `send` suspends its job (it holds no thread) until the consumer takes an
-- item, so the producer is never more than `capacity` items ahead, however fast it is. This runs
-- on a 1-thread pool on purpose: neither side's wait blocks the one thread.

local CAPACITY, ITEMS = 4, 40
local previous = desync.scheduler.max_threads()
desync.scheduler.set_max_threads(1)

local items = desync.stream(CAPACITY)
local taken = desync.stream()        -- unbounded: how many items the consumer has taken so far

-- The producer makes items as fast as it can; after each send it looks (without waiting) at how
-- far the consumer has got, and remembers how far ahead it ever was.
local producer = desync.spawn(function(out, progress, n)
  local consumed, ahead = 0, 0
  for i = 1, n do
    out:send(i)                               -- suspends while `out` is full
    repeat
      local count = progress:receive(0)       -- 0: do not wait
      if count then consumed = count end
    until count == nil
    ahead = math.max(ahead, i - consumed)
  end
  out:close()
  return ahead
end, items, taken, ITEMS)

-- The consumer is slow: 2 ms per item.
local consumer = desync.spawn(function(input, progress)
  local sum, count, inOrder = 0, 0, true
  for item in input:iter() do
    count = count + 1
    progress:send(count)
    inOrder = inOrder and item == count
    sum = sum + item
    desync.sleep(0.002)
  end
  return sum, count, inOrder
end, items, taken)

-- Meanwhile the script looks at the scheduler: both jobs spend most of their time suspended.
local mostSuspended = 0
while not consumer:done() do
  mostSuspended = math.max(mostSuspended, desync.scheduler.stats().suspended_jobs)
  desync.sleep(0.005)
end

local sum, count, inOrder = consumer:wait()
local ahead = producer:wait()
desync.scheduler.set_max_threads(previous)
print(("consumer took %d items in order: %s, sum %d; the producer was at most %d ahead (capacity %d); "
  .. "up to %d jobs suspended at once"):format(count, tostring(inOrder), sum, ahead, CAPACITY, mostSuspended))
assert(count == ITEMS and inOrder and sum == ITEMS * (ITEMS + 1) // 2)
-- The consumer reports an item after taking it, so the producer may see it one item late.
assert(ahead >= CAPACITY and ahead <= CAPACITY + 1, "the stream let the producer run " .. ahead .. " ahead")
assert(mostSuspended >= 1, "a full send or a sleep suspends its job")
