/* Files served by the binary, embedded at build time (docs/openapi.yaml). */
    .section .rodata
    .global parley_openapi_yaml
    .global parley_openapi_yaml_end
parley_openapi_yaml:
    .incbin "docs/openapi.yaml"
parley_openapi_yaml_end:
    .byte 0
    .section .note.GNU-stack,"",@progbits
