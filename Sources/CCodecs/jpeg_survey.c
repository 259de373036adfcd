#include "internal.h"

/* SOFn markers that carry a frame header: C0-CF except DHT (C4), JPG (C8) and DAC (CC). */
static int is_frame_header(uint8_t marker) {
    return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

/* Markers that stand alone, without a length: TEM, RST0-7 (and a stray 00). */
static int is_standalone(uint8_t marker) {
    return marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7);
}

/* Entropy-coded data ends at an FF that is neither stuffing (FF 00) nor a restart marker. */
static size_t skip_entropy_data(const uint8_t *data, size_t size, size_t position) {
    while (position + 1 < size) {
        if (data[position] == 0xFF && data[position + 1] != 0x00 &&
            !(data[position + 1] >= 0xD0 && data[position + 1] <= 0xD7)) break;
        position++;
    }
    return position;
}

void ccodecs_jpeg_survey(const uint8_t *data, size_t size, ccodecs_jpeg_survey_result *out) {
    out->width = 0;
    out->height = 0;
    out->has_frame = 0;
    out->scans = 0;
    size_t position = 2; /* after SOI */
    while (position + 1 < size) {
        /* Bytes between segments are skipped, as libjpeg skips them (with a warning). */
        if (data[position] != 0xFF || data[position + 1] == 0xFF) {
            position++;
            continue;
        }
        uint8_t marker = data[position + 1];
        position += 2;
        if (marker == 0xD9) return; /* EOI */
        if (is_standalone(marker)) continue;
        if (size - position < 2) return;
        size_t length = (size_t)data[position] << 8 | data[position + 1];
        if (length < 2 || length > size - position) return;
        /* Frame header: length, precision, height, width (big endian). */
        if (is_frame_header(marker) && !out->has_frame && length >= 7) {
            out->height = (uint32_t)data[position + 3] << 8 | data[position + 4];
            out->width = (uint32_t)data[position + 5] << 8 | data[position + 6];
            out->has_frame = 1;
        }
        position += length;
        if (marker == 0xDA) {
            if (out->scans < UINT32_MAX) out->scans++;
            position = skip_entropy_data(data, size, position);
        }
    }
}

uint32_t ccodecs_jpeg_scan_limit(uint32_t width, uint32_t height) {
    uint64_t pixels = (uint64_t)width * height;
    if (pixels == 0) return CCODECS_JPEG_MAX_SCANS;
    uint64_t limit = CCODECS_JPEG_SCAN_PIXEL_BUDGET / pixels;
    if (limit < 1) limit = 1;
    return limit > CCODECS_JPEG_MAX_SCANS ? CCODECS_JPEG_MAX_SCANS : (uint32_t)limit;
}
