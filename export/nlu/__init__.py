"""Training data for the understanding model: Home Assistant's sentence templates and our
own rephrasings, expanded over many synthetic homes, with slot spans tracked."""
