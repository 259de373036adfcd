#include "ccodecs.h"
#include "internal.h"
#include "png_handlers.h"

#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

/* The memory the PNG is read from, what went wrong, and the buffers of a reduced decode.
   Lives across the setjmp in memory that libpng also reaches (the io pointer). */
typedef struct png_reader {
    const uint8_t *data;
    size_t size;
    size_t position;
    int32_t status;             /* reported when libpng longjmps; CCODECS_CORRUPT unless set */
    uint8_t *row;               /* one full-width RGB8 row from malloc, when reducing */
    ccodecs_box_reducer reducer;
} png_reader;

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
    if (out->source_width > CCODECS_PNG_MAX_SIDE || out->source_height > CCODECS_PNG_MAX_SIDE) {
        return CCODECS_SIDE_TOO_LARGE;
    }
    return CCODECS_OK;
}

static uint64_t divide_rounding_up(uint64_t a, uint64_t b) {
    return (a + b - 1) / b;
}

static uint32_t smaller(uint32_t a, uint32_t b) {
    return a < b ? a : b;
}

/* The reduction factors for a `width x height` image (1 x 1: full size); see ccodecs.h. */
static void reduction(uint32_t width, uint32_t height, uint64_t budget_pixels,
                      uint32_t *factor_x, uint32_t *factor_y) {
    uint64_t pixels = (uint64_t)width * height;
    uint32_t f = 1;
    if (budget_pixels > 0 && pixels > budget_pixels) {
        /* f x f blocks leave at least pixels / f^2: start from that bound. */
        f = (uint32_t)sqrt((double)pixels / (double)budget_pixels);
        if (f < 1) f = 1;
        while (divide_rounding_up(width, smaller(f, width)) * divide_rounding_up(height, smaller(f, height))
               > budget_pixels) f++;
    }
    *factor_x = smaller(f, width);
    *factor_y = smaller(f, height);
    uint32_t side_x = (uint32_t)divide_rounding_up(width, CCODECS_MAX_UNREDUCED_SIDE);
    uint32_t side_y = (uint32_t)divide_rounding_up(height, CCODECS_MAX_UNREDUCED_SIDE);
    if (side_x > *factor_x) *factor_x = side_x;
    if (side_y > *factor_y) *factor_y = side_y;
}

int32_t ccodecs_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                           uint64_t budget_pixels, ccodecs_image *out) {
    memset(out, 0, sizeof *out);
    out->orientation = 1;
    int32_t status = check_header(data, size, max_pixels, out);
    if (status != CCODECS_OK) return status;

    uint32_t factor_x, factor_y;
    reduction(out->source_width, out->source_height, budget_pixels, &factor_x, &factor_y);
    int reduce = factor_x > 1 || factor_y > 1;
    if ((uint64_t)factor_x * factor_y >= 1u << 24) return CCODECS_TOO_LARGE; /* sums would overflow */
    if (reduce && data[8 + 8 + 12] != 0) return CCODECS_INTERLACED_TOO_LARGE; /* IHDR interlace method */

    png_reader reader;
    memset(&reader, 0, sizeof reader);
    reader.data = data;
    reader.size = size;
    reader.status = CCODECS_CORRUPT;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, out->message, ccodecs_png_on_error,
                                             ccodecs_png_on_warning);
    if (png == NULL) return CCODECS_OUT_OF_MEMORY;
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        return CCODECS_OUT_OF_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        ccodecs_box_reducer_free(&reader.reducer);
        free(reader.row);
        free(out->pixels);
        out->pixels = NULL;
        return reader.status;
    }
    png_set_read_fn(png, &reader, on_read);
    /* The same limits as check_header's, for libpng's own checks. */
    png_set_user_limits(png, CCODECS_PNG_MAX_SIDE, CCODECS_PNG_MAX_SIDE);
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
    uint32_t out_width = (uint32_t)divide_rounding_up(width, factor_x);
    uint32_t out_height = (uint32_t)divide_rounding_up(height, factor_y);
    out->pixels = malloc((size_t)out_width * out_height * 3);
    if (out->pixels == NULL || (reduce && (reader.row = malloc(stride)) == NULL) ||
        (reduce && !ccodecs_box_reducer_init(&reader.reducer, width, height, factor_x, factor_y, out->pixels))) {
        reader.status = CCODECS_OUT_OF_MEMORY;
        png_error(png, "out of memory");
    }
    out->width = out_width;
    out->height = out_height;
    if (reduce) {
        for (uint32_t y = 0; y < height; y++) {
            png_read_row(png, reader.row, NULL);
            ccodecs_box_reducer_add_row(&reader.reducer, reader.row);
        }
        ccodecs_box_reducer_free(&reader.reducer);
        free(reader.row);
    } else {
        /* Interlaced passes combine into the rows already read. */
        for (int pass = 0; pass < passes; pass++) {
            for (uint32_t y = 0; y < height; y++) png_read_row(png, out->pixels + y * stride, NULL);
        }
    }
    png_destroy_read_struct(&png, &info, NULL);
    return CCODECS_OK;
}
