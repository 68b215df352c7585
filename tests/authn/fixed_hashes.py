"""Hashes made once with Debian's htpasswd 2.4.71 (apache2-utils) and
libxcrypt, so the suite runs where htpasswd is absent.  The password of
user ``X`` is ``pw-X``."""

FIXED = {
    "md5": "$apr1$fB/kUWP3$5vFc.ZBAAnMaobUrv4HWf.",                       # htpasswd -m
    "bcrypt": "$2y$05$sFORwW6vve4DeFdH74ekJOIh8/rnrgs.z1es/9d/2.VdDCKUinFBW",  # -B
    "bcrypt4": "$2y$04$PQJvAS/jDYvzVwUt8oocWODJQDFFJWt503Yg08VSAuRi0ZaqHjgjC",  # -B -C 4
    "sha1": "{SHA}xijDgoRYDk0v1vFBsFGjJUAqaCA=",                           # -s
    "crypt": "qQbNF61KfXLRE",                                              # -d
    "plain": "pw-plain",                                                   # -p
    "sha256": "$5$7JG2mEI/GYhoGpqJ$AOmi.wsqFpV0.HjESneuzF8uXpP5EbYFZB3TbMVZp./",  # -2
    "sha512": ("$6$HXgGPqVNA8NuD75P$NoqVj/5v3/4wXlyBqWi18CvhXcHXh9IGnok.BlJawrAP"
               "WCXhKpwdNFdEklLJIkV5HQWwPzndNNsWwo.Ku5tCJ."),                # -5
    "b2b": "$2b$04$abcdefghijklmnopqrstuuQn8vz6BSR5gbvk4hCW62ZYj32o6lnAm",    # crypt()
    "md5crypt": "$1$saltsalt$UUYCL1XA0ThQos060iP9J1",                      # crypt()
}

#: htpasswd options per user (for the tests that run the real htpasswd)
HTPASSWD_FLAGS = {
    "md5": ["-m"], "default": [], "bcrypt": ["-B"], "bcrypt4": ["-B", "-C", "4"],
    "bcrypt6": ["-B", "-C", "6"], "sha1": ["-s"], "crypt": ["-d"], "plain": ["-p"],
    "sha256": ["-2"], "sha512": ["-5"], "sha256r": ["-2", "-r", "1000"],
}

#: what Apache 2.4 on Linux accepts: everything but plain text
ACCEPTED = {name: name != "plain" for name in set(FIXED) | set(HTPASSWD_FLAGS)}
