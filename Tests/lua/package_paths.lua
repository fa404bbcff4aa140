-- objects start with the host's package.path and package.cpath as they are when the object is
-- made (they were read once, when desync started: a path set later never reached an object)
package.path = "/nowhere/?.lua;" .. package.path
package.cpath = "/nowhere/?.so;" .. package.cpath
local obj = desync.new({})
local path, cpath = obj:sync(function() return package.path, package.cpath end)
assert(path == package.path, path)
assert(cpath == package.cpath, cpath)
