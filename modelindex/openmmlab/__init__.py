"""OpenMMLab configs read as data: the config reader and the test pipeline it describes."""
