"""Photos as a phone camera makes them, and uploads as wx.uploadFile sends them."""

import io
import random

import httpx
from PIL import Image

from tests.helpers.factories import World


def photo(
    *,
    size: tuple[int, int] = (1200, 800),
    orientation: int = 1,
    gps: tuple[float, float] | None = None,
    fmt: str = "JPEG",
    seed: int | None = None,
) -> bytes:
    """A phone-like photo: left half red, right half blue, with EXIF as the camera writes it;
    with a seed, a scene of random blocks instead, different for every seed."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (size[0] // 2, 0, size[0], size[1]))
    if seed is not None:
        rng = random.Random(seed)
        for _ in range(40):
            x, y = rng.randrange(size[0]), rng.randrange(size[1])
            w, h = rng.randrange(50, size[0] // 2), rng.randrange(50, size[1] // 2)
            shade = tuple(rng.randrange(256) for _ in range(3))
            image.paste(shade, (x, y, min(size[0], x + w), min(size[1], y + h)))
    exif = Image.Exif()
    exif[0x0112] = orientation
    if gps:
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd.update({1: "N", 2: (gps[0], 0.0, 0.0), 3: "E", 4: (gps[1], 0.0, 0.0)})
    buffer = io.BytesIO()
    extra = {"exif": exif.tobytes()} if fmt == "JPEG" else {}
    image.save(buffer, format=fmt, **extra)
    return buffer.getvalue()


async def upload(
    client: httpx.AsyncClient,
    world: World,
    data: bytes,
    *,
    purpose: str = "evidence",
    name: str = "wx.jpg",
) -> httpx.Response:
    return await client.post(
        "/api/v1/media",
        files={"file": (name, data, "image/jpeg")},
        data={"purpose": purpose},
        headers=world.auth("g1_worker"),
    )
