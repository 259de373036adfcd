#include "internal.h"

#include <string.h>

/* TIFF integers in the byte order of the EXIF block (II = little, MM = big endian). */
static uint32_t read16(const uint8_t *p, int little) {
    return little ? (uint32_t)p[0] | (uint32_t)p[1] << 8 : (uint32_t)p[0] << 8 | (uint32_t)p[1];
}

static uint32_t read32(const uint8_t *p, int little) {
    return little ? read16(p, 1) | read16(p + 2, 1) << 16 : read16(p, 0) << 16 | read16(p + 2, 0);
}

int ccodecs_exif_orientation(const uint8_t *payload, size_t length) {
    enum { header = 6, tag_orientation = 0x0112, type_short = 3, type_long = 4 };
    if (length < header || memcmp(payload, "Exif\0\0", header) != 0) return 0;
    const uint8_t *tiff = payload + header;
    size_t size = length - header;
    if (size < 8) return 1;
    int little;
    if (tiff[0] == 'I' && tiff[1] == 'I') little = 1;
    else if (tiff[0] == 'M' && tiff[1] == 'M') little = 0;
    else return 1;
    if (read16(tiff + 2, little) != 42) return 1;

    /* IFD0: a 2-byte entry count, then 12-byte entries (tag, type, count, value). */
    uint32_t ifd = read32(tiff + 4, little);
    if (ifd > size - 2) return 1;
    uint32_t count = read16(tiff + ifd, little);
    for (uint32_t i = 0; i < count; i++) {
        size_t entry = (size_t)ifd + 2 + (size_t)i * 12;
        if (entry + 12 > size) return 1;
        const uint8_t *e = tiff + entry;
        if (read16(e, little) != tag_orientation) continue;
        uint32_t type = read16(e + 2, little);
        uint32_t value;
        if (type == type_short) value = read16(e + 8, little);
        else if (type == type_long) value = read32(e + 8, little);
        else return 1;
        return value >= 1 && value <= 8 ? (int)value : 1;
    }
    return 1;
}
