"""The face-finder pipeline: train → identify → tag over versioned data (lesson 10).

* ``models``: dlib's face detector, 5-point landmarks and 128-D descriptor network.
* ``analysis``: faces and descriptors of one image, cached by the image's content hash.
* ``naming`` / ``state``: people's names from folders or file names; the trained state file.
* ``train`` / ``identify`` / ``tag``: the three stages; ``identify`` runs as a Beam pipeline.
* ``workspace``: the folder layout, the DVC stages and ``run`` (bring every output up to date).
"""
