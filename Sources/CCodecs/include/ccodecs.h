#ifndef CCODECS_H
#define CCODECS_H
/* Image codecs in C: the only code allowed to setjmp (libjpeg and classic libpng
   report errors by longjmp). Each entry point owns its setjmp for the whole call,
   never exits the process, and returns a CCODECS_* status to Swift. */

#include <stddef.h>
#include <stdint.h>

/* Status codes returned by every entry point. */
enum {
    CCODECS_OK = 0,
    CCODECS_TRUNCATED = 1,     /* the data ends before the image does */
    CCODECS_CORRUPT = 2,       /* the library rejected the data; see `message` */
    CCODECS_TOO_LARGE = 3,     /* width * height exceeds the pixel limit */
    CCODECS_ZERO_SIZE = 4,     /* the header declares a zero width or height */
    CCODECS_OUT_OF_MEMORY = 5,
    CCODECS_SIDE_TOO_LARGE = 6, /* a side exceeds the format's maximum (JPEG 65500, PNG 1000000) */
    CCODECS_TOO_MANY_SCANS = 7, /* more scans than `scan_limit` allows for the image's size */
    CCODECS_INTERLACED_TOO_LARGE = 9 /* an interlaced PNG that would need reducing */
};

/* PNG sides are at most this long (libpng's own default limits). Width: libpng holds two
   rows of up to 8 bytes a pixel whatever the decode does, 16 MB at this width. Height: libpng
   is called once per row, so a 1 x 50,000,000 PNG of 150 KB costs seconds of CPU. */
#define CCODECS_PNG_MAX_SIDE 1000000u

/* A PNG side longer than this is box-reduced while it is read: resampling tables grow with
   the side (two weights per input pixel), not with the area. */
#define CCODECS_MAX_UNREDUCED_SIDE 65536u

/* JPEG's largest side (libjpeg's JPEG_MAX_DIMENSION): larger headers are refused by size. */
#define CCODECS_JPEG_MAX_SIDE 65500u

/* Scans x declared pixels a JPEG may ask to be decoded: each scan of a progressive (or
   multi-scan sequential) JPEG walks every block of the image, so a few hundred empty
   scans of 50 MP cost seconds of CPU from a small file. 10^9 allows 20 scans at 50 MP,
   83 at 12 MP, and the absolute cap CCODECS_JPEG_MAX_SCANS below 2 MP. */
#define CCODECS_JPEG_SCAN_PIXEL_BUDGET 1000000000ull

/* Most scans of any JPEG (libjpeg-turbo's djpeg suggests 500 for -maxscans). */
#define CCODECS_JPEG_MAX_SCANS 500u

/* Length of the `message` buffers, including the terminating NUL. */
#define CCODECS_MESSAGE_LENGTH 200

/* A decoded image, RGB8 interleaved, rows top to bottom, as stored in the file
   (EXIF orientation is reported, not applied). */
typedef struct ccodecs_image {
    uint8_t *pixels;            /* width * height * 3 bytes from malloc; release with ccodecs_free */
    uint32_t width;             /* decoded size, after DCT scaling or box reduction */
    uint32_t height;
    uint32_t source_width;      /* size declared by the header, before scaling */
    uint32_t source_height;
    int32_t orientation;        /* EXIF orientation 1...8; 1 when absent or invalid */
    uint32_t scans;             /* JPEG: SOS markers before EOI, counted before decoding */
    uint32_t scan_limit;        /* JPEG: the most scans accepted for this image's size */
    char message[CCODECS_MESSAGE_LENGTH]; /* the library's message when status != CCODECS_OK */
} ccodecs_image;

/* A growable output byte buffer. */
typedef struct ccodecs_buffer {
    uint8_t *data;              /* `size` bytes from malloc; release with ccodecs_free */
    size_t size;
    size_t capacity;
    char message[CCODECS_MESSAGE_LENGTH];
} ccodecs_buffer;

/* Decodes a PNG of any colour type and bit depth to RGB8 the way Pillow's
   `convert("RGB")` does: alpha and tRNS dropped (not composited), 16-bit
   reduced to its high byte, low bit depths scaled to 0...255, palettes expanded,
   gamma and colour chunks ignored. `max_pixels` is checked against the IHDR
   before anything is allocated, and both sides against CCODECS_PNG_MAX_SIDE.
   An image of at most `budget_pixels` pixels and sides of at most
   CCODECS_MAX_UNREDUCED_SIDE decodes at full size. A larger one is read row by row
   and box-reduced as the rows arrive, exactly as Pillow's reduce((fx, fy)) (see
   ccodecs_box_reducer), by the smallest common factor f (each axis's capped at its side)
   that brings it within `budget_pixels`, raised per axis to ceil(side / 65536) where
   needed; no full-size copy is made. Interlaced PNGs that would need reducing are refused
   (CCODECS_INTERLACED_TOO_LARGE): their passes need the full image. On failure
   `out->pixels` is NULL. */
int32_t ccodecs_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                           uint64_t budget_pixels, ccodecs_image *out);

/* Decodes a JPEG (baseline, progressive, grayscale, Adobe CMYK/YCCK) to RGB8
   with the ISLOW DCT and fancy upsampling. CMYK is converted as Pillow does
   (Adobe inverted polarity). The EXIF orientation is parsed into
   `out->orientation` but not applied. The decode uses the smallest DCT scale
   1/8, 1/4 or 1/2 whose oriented output is at least `min_width` x `min_height`,
   else full size (as Pillow's draft()); 0 x 0 decodes at full size. A scale whose
   output exceeds `budget_pixels` is halved until it fits or reaches 1/8. Before libjpeg
   reads anything, a walk over the markers finds the declared size and counts the scans:
   the size is checked against `max_pixels` (CCODECS_TOO_LARGE) and CCODECS_JPEG_MAX_SIDE
   (CCODECS_SIDE_TOO_LARGE, or TOO_LARGE when the pixels exceed too), the scan count
   against the limit for that size (CCODECS_TOO_MANY_SCANS); libjpeg's progress monitor
   checks the same limit again as each scan starts. On failure `out->pixels` is NULL. */
int32_t ccodecs_jpeg_decode(const uint8_t *data, size_t size,
                            uint32_t min_width, uint32_t min_height,
                            uint64_t max_pixels, uint64_t budget_pixels, ccodecs_image *out);

/* Encodes RGB8 pixels (width * height * 3 bytes, rows top to bottom) as an
   8-bit RGB, non-interlaced PNG with zlib `level` 0...9. On failure
   `out->data` is NULL. */
int32_t ccodecs_png_encode_rgb8(const uint8_t *pixels, uint32_t width, uint32_t height,
                                int32_t level, ccodecs_buffer *out);

/* Releases memory returned by this module. */
void ccodecs_free(void *pointer);

#endif
