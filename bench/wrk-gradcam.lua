-- wrk script: POST /gradcam with a multipart/form-data upload, counting answers by status.
--
--   WRK_IMAGE=path/to.png WRK_MODEL=vgg16 wrk -t2 -c32 -d30s --latency -s bench/wrk-gradcam.lua http://127.0.0.1:8080
--
-- WRK_QUERY (default "class=0") is appended to the query string.

local image_path = os.getenv("WRK_IMAGE") or "Tests/Fixtures/images/chelsea_224.png"
local model = os.getenv("WRK_MODEL") or "vgg16"
local query = os.getenv("WRK_QUERY") or "class=0"
local boundary = "wrk-gradcam-boundary"

local file = assert(io.open(image_path, "rb"), "cannot read " .. image_path)
local image = file:read("*a")
file:close()

wrk.method = "POST"
wrk.path = "/gradcam?model=" .. model .. (query ~= "" and ("&" .. query) or "")
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = "--" .. boundary .. "\r\n"
    .. 'Content-Disposition: form-data; name="image"; filename="image.png"\r\n'
    .. "Content-Type: image/png\r\n\r\n"
    .. image .. "\r\n--" .. boundary .. "--\r\n"

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    statuses = {}
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
    local counts = {}
    for _, thread in ipairs(threads) do
        for status, n in pairs(thread:get("statuses")) do
            counts[status] = (counts[status] or 0) + n
        end
    end
    local codes = {}
    for status in pairs(counts) do table.insert(codes, status) end
    table.sort(codes)
    local seconds = summary.duration / 1e6
    local e = summary.errors
    io.write("---- gradcam\n")
    io.write(string.format("requests: %d in %.1f s\n", summary.requests, seconds))
    for _, status in ipairs(codes) do
        io.write(string.format("status %d: %d (%.1f/s)\n", status, counts[status], counts[status] / seconds))
    end
    io.write(string.format("throughput (200s): %.2f/s\n", (counts[200] or 0) / seconds))
    io.write(string.format("latency p50: %.1f ms, p99: %.1f ms, max: %.1f ms\n",
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
    io.write(string.format("socket errors: connect %d, read %d, write %d, timeout %d\n",
        e.connect, e.read, e.write, e.timeout))
end
