{
  "targets": [
    {
      "target_name": "pocketsphinx",
      "sources": ["src/addon.c"],
      "cflags": ["-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter", "<!@(pkg-config --cflags pocketsphinx sphinxbase)"],
      "libraries": ["<!@(pkg-config --libs pocketsphinx sphinxbase)"]
    }
  ]
}
