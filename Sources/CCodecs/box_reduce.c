#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Pillow's division_UINT32(n, 8): 2^32 / (256 n) in single precision, truncated. */
static uint32_t multiplier_for(uint32_t pixels) {
    float max_int = 4294967296.0f;
    return (uint32_t)(max_int / (float)(256u * pixels));
}

int ccodecs_box_reducer_init(ccodecs_box_reducer *reducer, uint32_t width, uint32_t height,
                             uint32_t factor_x, uint32_t factor_y, uint8_t *output) {
    memset(reducer, 0, sizeof *reducer);
    reducer->width = width;
    reducer->factor_x = factor_x;
    reducer->factor_y = factor_y;
    reducer->out_width = width / factor_x + (width % factor_x != 0);
    reducer->height = height;
    reducer->output = output;
    reducer->sums = calloc((size_t)reducer->out_width * 3, sizeof *reducer->sums);
    return reducer->sums != NULL;
}

/* Writes the accumulated output row: each block's sum, plus half its pixel count, times
   the multiplier for that count, >> 24 (the last column and row may be partial blocks). */
static void emit_row(ccodecs_box_reducer *reducer) {
    uint8_t *row = reducer->output + (size_t)reducer->out_row * reducer->out_width * 3;
    for (uint32_t x = 0; x < reducer->out_width; x++) {
        uint32_t columns = x + 1 < reducer->out_width || reducer->width % reducer->factor_x == 0
            ? reducer->factor_x : reducer->width % reducer->factor_x;
        uint32_t pixels = columns * reducer->rows_in;
        uint32_t multiplier = multiplier_for(pixels), amend = pixels / 2;
        for (int c = 0; c < 3; c++) {
            uint32_t *sum = &reducer->sums[x * 3 + c];
            row[x * 3 + c] = (uint8_t)(((*sum + amend) * multiplier) >> 24);
            *sum = 0;
        }
    }
    reducer->out_row++;
    reducer->rows_in = 0;
}

void ccodecs_box_reducer_add_row(ccodecs_box_reducer *reducer, const uint8_t *row) {
    uint32_t *sums = reducer->sums;
    for (uint32_t x = 0, block = 0, filled = 0; x < reducer->width; x++) {
        sums[block * 3] += row[x * 3];
        sums[block * 3 + 1] += row[x * 3 + 1];
        sums[block * 3 + 2] += row[x * 3 + 2];
        if (++filled == reducer->factor_x) {
            filled = 0;
            block++;
        }
    }
    reducer->rows_in++;
    reducer->in_row++;
    if (reducer->rows_in == reducer->factor_y || reducer->in_row == reducer->height) emit_row(reducer);
}

void ccodecs_box_reducer_free(ccodecs_box_reducer *reducer) {
    free(reducer->sums);
    reducer->sums = NULL;
}
