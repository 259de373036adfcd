#include "ccodecs.h"
#include "internal.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

/* The memory the PNG is read from, and what went wrong. Lives across the setjmp
   in memory that libpng also reaches (io and error pointers). */
typedef struct png_reader {
    const uint8_t *data;
    size_t size;
    size_t position;
    int32_t status;             /* reported when libpng longjmps; CCODECS_CORRUPT unless set */
    char *message;
} png_reader;

static void on_error(png_structp png, png_const_charp text) {
    png_reader *reader = png_get_error_ptr(png);
    ccodecs_set_message(reader->message, text);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void on_read(png_structp png, png_bytep destination, size_t length) {
    png_reader *reader = png_get_io_ptr(png);
    if (length > reader->size - reader->position) {
        reader->status = CCODECS_TRUNCATED;
        png_error(png, "PNG data ends early");
    }
    memcpy(destination, reader->data + reader->position, length);
    reader->position += length;
}

static uint32_t big_endian32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Reads the size from the IHDR (which must follow the signature) so the limits
   apply before libpng reads or allocates anything. */
static int32_t check_header(const uint8_t *data, size_t size, uint64_t max_pixels,
                            ccodecs_image *out) {
    enum { signature = 8, ihdr_end = 8 + 8 + 13 + 4 };
    if (size < signature || png_sig_cmp(data, 0, signature) != 0) {
        ccodecs_set_message(out->message, "not a PNG signature");
        return CCODECS_CORRUPT;
    }
    if (size < ihdr_end) {
        ccodecs_set_message(out->message, "PNG data ends inside the IHDR chunk");
        return CCODECS_TRUNCATED;
    }
    if (big_endian32(data + 8) != 13 || memcmp(data + 12, "IHDR", 4) != 0) {
        ccodecs_set_message(out->message, "PNG does not start with a valid IHDR chunk");
        return CCODECS_CORRUPT;
    }
    out->source_width = big_endian32(data + 16);
    out->source_height = big_endian32(data + 20);
    if (out->source_width == 0 || out->source_height == 0) return CCODECS_ZERO_SIZE;
    if ((uint64_t)out->source_width * out->source_height > max_pixels) return CCODECS_TOO_LARGE;
    return CCODECS_OK;
}

int32_t ccodecs_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                           ccodecs_image *out) {
    memset(out, 0, sizeof *out);
    out->orientation = 1;
    int32_t status = check_header(data, size, max_pixels, out);
    if (status != CCODECS_OK) return status;

    png_reader reader = { data, size, 0, CCODECS_CORRUPT, out->message };
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, on_error, on_warning);
    if (png == NULL) return CCODECS_OUT_OF_MEMORY;
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        return CCODECS_OUT_OF_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(out->pixels);
        out->pixels = NULL;
        return reader.status;
    }
    png_set_read_fn(png, &reader, on_read);
    /* Our pixel limit governs, not libpng's default 1,000,000 x 1,000,000. */
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    /* Like Pillow, ignore gamma, colour profiles, text and unknown chunks; only
       IHDR, PLTE, tRNS, IDAT and IEND are processed. */
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    png_read_info(png, info);

    int bit_depth = png_get_bit_depth(png, info);
    int color_type = png_get_color_type(png, info);
    if (bit_depth == 16) png_set_strip_16(png);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (!(color_type & PNG_COLOR_MASK_COLOR)) png_set_gray_to_rgb(png);
    if ((color_type & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS)) {
        png_set_strip_alpha(png);
    }
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);

    uint32_t width = png_get_image_width(png, info);
    uint32_t height = png_get_image_height(png, info);
    size_t stride = (size_t)width * 3;
    if (png_get_rowbytes(png, info) != stride) png_error(png, "unexpected PNG row layout");
    out->pixels = malloc(stride * height);
    if (out->pixels == NULL) {
        reader.status = CCODECS_OUT_OF_MEMORY;
        png_error(png, "out of memory");
    }
    out->width = width;
    out->height = height;
    /* Interlaced passes combine into the rows already read. */
    for (int pass = 0; pass < passes; pass++) {
        for (uint32_t y = 0; y < height; y++) png_read_row(png, out->pixels + y * stride, NULL);
    }
    png_destroy_read_struct(&png, &info, NULL);
    return CCODECS_OK;
}
