/*
 * cryptomem: where OpenSSL's memory comes from. Small allocations go to
 * malloc as before. A large one (scrypt's 128 * r * N bytes: 16 MiB at the
 * defaults) gets its own mapping, aligned to and advised for transparent
 * huge pages, and is unmapped when OpenSSL frees it:
 *  - it never stays resident between logins (the worker's RSS is back to
 *    its steady size after every hash);
 *  - the hash touches 8 huge pages instead of 4096 small ones: fewer page
 *    faults, and far fewer TLB misses in scrypt's random reads (measured:
 *    about 4 % faster per hash than 4 KiB pages on 2 cores).
 */
#ifndef TETHER_CRYPTOMEM_H
#define TETHER_CRYPTOMEM_H

#include <stddef.h>

#define CRYPTOMEM_LARGE ((size_t)1 << 20) /* from here on, a mapping */
#define CRYPTOMEM_SLOTS 4                 /* large buffers alive at once */

/*
 * Installs the allocator; must run before anything else calls OpenSSL.
 * Returns 0, or -1 if OpenSSL has already allocated (then nothing
 * changes and OpenSSL keeps using malloc).
 */
int cryptomem_install(void);

#endif
