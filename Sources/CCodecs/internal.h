#ifndef CCODECS_INTERNAL_H
#define CCODECS_INTERNAL_H
/* Helpers shared by the codec files; not part of the public header. */

#include <stddef.h>
#include <stdint.h>

/* Copies `text` into a CCODECS_MESSAGE_LENGTH buffer, truncating, always NUL-terminated. */
void ccodecs_set_message(char *message, const char *text);

/* The EXIF orientation (1...8) in an APP1 payload that starts with "Exif\0\0";
   0 if the payload is not EXIF, 1 if it is but has no valid orientation tag. */
int ccodecs_exif_orientation(const uint8_t *payload, size_t length);

#endif
