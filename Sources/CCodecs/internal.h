#ifndef CCODECS_INTERNAL_H
#define CCODECS_INTERNAL_H
/* Helpers shared by the codec files; not part of the public header. */

#include <stddef.h>
#include <stdint.h>

#include "ccodecs.h"

/* Copies `text` into a CCODECS_MESSAGE_LENGTH buffer, truncating, always NUL-terminated. */
void ccodecs_set_message(char *message, const char *text);

/* The EXIF orientation (1...8) in an APP1 payload that starts with "Exif\0\0";
   0 if the payload is not EXIF, 1 if it is but has no valid orientation tag. */
int ccodecs_exif_orientation(const uint8_t *payload, size_t length);

/* What a walk over a JPEG's markers (SOI to EOI) finds before libjpeg reads it. */
typedef struct ccodecs_jpeg_survey_result {
    uint32_t width;             /* from the first frame header (SOFn), when has_frame */
    uint32_t height;
    int has_frame;
    uint32_t scans;             /* SOS markers */
} ccodecs_jpeg_survey_result;

/* Finds the declared size and counts the scans in O(size), reading only within `size`
   bytes; stops at EOI or at the first segment that does not fit (libjpeg reports those). */
void ccodecs_jpeg_survey(const uint8_t *data, size_t size, ccodecs_jpeg_survey_result *out);

/* The most scans accepted for a `width x height` JPEG: CCODECS_JPEG_SCAN_PIXEL_BUDGET
   divided by the pixels, at least 1, at most CCODECS_JPEG_MAX_SCANS. */
uint32_t ccodecs_jpeg_scan_limit(uint32_t width, uint32_t height);

#endif
