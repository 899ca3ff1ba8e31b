"""Independent face and eye finder for the portrait tests: OpenCV's Viola-Jones Haar cascades
(Debian python3-opencv + opencv-data), a different detector and binding from the one under test.
Prints JSON: {"faces": [[x, y, w, h], ...], "eyes": [[cx, cy], ...]} with the eyes searched in the
upper half of the largest face."""
import json
import sys

import cv2

CASCADES = "/usr/share/opencv4/haarcascades/"
image = cv2.imread(sys.argv[1], cv2.IMREAD_GRAYSCALE)
image = cv2.equalizeHist(image)
faces = cv2.CascadeClassifier(CASCADES + "haarcascade_frontalface_default.xml").detectMultiScale(
    image, scaleFactor=1.1, minNeighbors=5, minSize=(60, 60))
faces = sorted([[int(v) for v in f] for f in faces], key=lambda f: -f[2] * f[3])
eyes = []
if faces:
    x, y, w, h = faces[0]
    upper = image[y:y + h // 2 + h // 8, x:x + w]
    found = cv2.CascadeClassifier(CASCADES + "haarcascade_eye.xml").detectMultiScale(
        upper, scaleFactor=1.05, minNeighbors=6, minSize=(w // 10, w // 10))
    eyes = sorted([[x + int(ex) + int(ew) / 2, y + int(ey) + int(eh) / 2] for ex, ey, ew, eh in found])
print(json.dumps({"faces": faces, "eyes": eyes}))
