from std_msgs.msg import Header

class RegionOfInterest:
    x_offset: int
    y_offset: int
    height: int
    width: int
    do_rectify: bool

class Image:
    header: Header
    height: int
    width: int
    encoding: str
    is_bigendian: int
    step: int
    data: bytes
    def __init__(
        self,
        *,
        header: Header = ...,
        height: int = 0,
        width: int = 0,
        encoding: str = "",
        is_bigendian: int = 0,
        step: int = 0,
        data: bytes = b"",
    ) -> None: ...

class CameraInfo:
    header: Header
    height: int
    width: int
    distortion_model: str
    D: list[float]
    K: list[float]
    R: list[float]
    P: list[float]
    binning_x: int
    binning_y: int
    roi: RegionOfInterest
    def __init__(
        self,
        *,
        header: Header = ...,
        height: int = 0,
        width: int = 0,
        distortion_model: str = "",
        D: list[float] = ...,  # noqa: N803 (the message field)
        K: list[float] = ...,  # noqa: N803 (the message field)
        R: list[float] = ...,  # noqa: N803 (the message field)
        P: list[float] = ...,  # noqa: N803 (the message field)
    ) -> None: ...
