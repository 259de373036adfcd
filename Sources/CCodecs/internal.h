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

/* Box reduction of RGB8 rows by integer factors, fed one input row at a time, with the
   arithmetic of Pillow's Image.reduce((factor_x, factor_y)): each output pixel is the
   rounded mean of its factor_x x factor_y block (the last column and row of blocks may be
   narrower), (sum + n / 2) * (2^32 / (256 n) as float, truncated) >> 24 in uint32.
   Needs factor_x * factor_y < 2^24 so that no product overflows. */
typedef struct ccodecs_box_reducer {
    uint32_t width, height;     /* input size */
    uint32_t factor_x, factor_y;
    uint32_t out_width;         /* ceil(width / factor_x) */
    uint32_t in_row, out_row;   /* rows consumed and written */
    uint32_t rows_in;           /* input rows in `sums` */
    uint32_t *sums;             /* out_width * 3 block sums, from calloc */
    uint8_t *output;            /* the caller's ceil(width / fx) * ceil(height / fy) * 3 bytes */
} ccodecs_box_reducer;

/* 0 when the sums cannot be allocated; release with ccodecs_box_reducer_free either way. */
int ccodecs_box_reducer_init(ccodecs_box_reducer *reducer, uint32_t width, uint32_t height,
                             uint32_t factor_x, uint32_t factor_y, uint8_t *output);
void ccodecs_box_reducer_add_row(ccodecs_box_reducer *reducer, const uint8_t *row);
void ccodecs_box_reducer_free(ccodecs_box_reducer *reducer);

#endif
