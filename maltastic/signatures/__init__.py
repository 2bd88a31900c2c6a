"""Signatures: render admins' templates to HTML and text with a personalised banner.

`service.SignatureService.render` turns a targeting decision into an audience by id, a
signed tracking token and the rendered signature. `rendering` renders without a database,
`sandbox` is the template language, `markup` and `plaintext` post-process the output.
"""
